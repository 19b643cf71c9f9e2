// The configuration `wrangler deploy` ships (wrangler.jsonc's top level) against the development one (`env.dev`),
// read by wrangler itself and parsed by src/config as the Worker would.
import { unstable_readConfig } from "wrangler";
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config";
import type { ConfigVars } from "../../src/env";

const deployed = unstable_readConfig({ config: "wrangler.jsonc" });
const dev = unstable_readConfig({ config: "wrangler.jsonc", env: "dev" });
const vars = (config: typeof deployed) => config.vars as ConfigVars;

describe("the deployable configuration", () => {
  it("has neither the development IdP nor a loopback PUBLIC_URL", () => {
    expect(vars(deployed).DEV_IDP).toBeUndefined();
    expect(vars(deployed).PUBLIC_URL).toBeUndefined();
  });

  it("fails closed until PUBLIC_URL and an upstream are set, naming both", () => {
    const config = parseConfig(vars(deployed));
    expect(config.problems.map((p) => p.variable)).toEqual(["PUBLIC_URL", "UPSTREAM_ISSUER"]);
    expect(config.devIdp).toBe(false);
    expect(config.upstreams).toEqual([]);
  });

  it("is complete once PUBLIC_URL and an upstream are given", () => {
    const config = parseConfig({ ...vars(deployed), PUBLIC_URL: "https://auth.example.com", UPSTREAM_ISSUER: "https://idp.example.com", UPSTREAM_CLIENT_ID: "gatehouse" });
    expect(config.problems).toEqual([]);
  });

  it("refuses the development IdP even when someone adds DEV_IDP to it", () => {
    const config = parseConfig({ ...vars(deployed), PUBLIC_URL: "https://auth.example.com", DEV_IDP: "true" });
    expect(config.problems.map((p) => p.variable)).toContain("DEV_IDP");
    expect(config.devIdp).toBe(false);
  });
});

describe("the development configuration (env.dev)", () => {
  it("runs the development IdP at http://localhost:8787 with no problem", () => {
    const config = parseConfig(vars(dev));
    expect(config.problems).toEqual([]);
    expect(config.publicUrl).toBe("http://localhost:8787");
    expect(config.devIdp).toBe(true);
    expect(config.upstreams.map((u) => u.name)).toEqual(["dev"]);
  });

  it("declares the same bindings as the deployable one, since environments inherit none", () => {
    const shape = (config: typeof deployed) => ({
      durableObjects: config.durable_objects.bindings,
      d1: config.d1_databases,
      ratelimits: config.ratelimits,
      crons: config.triggers.crons,
      main: config.main,
      compatibility: [config.compatibility_date, config.compatibility_flags],
    });
    expect(shape(dev)).toEqual(shape(deployed));
  });
});
