// `npm run deploy`'s checks (scripts/deploy-checks.mjs) and the command itself (scripts/deploy.mjs) against stubbed
// wrangler output: the outputs below are wrangler 4's own, captured from `wrangler d1 migrations list`.
import { describe, expect, it } from "vitest";
import { checkDatabase, checkMigrations, checkVars, clientUrl, parseDeployArgs, PLACEHOLDER_DATABASE_ID, readMigrationList } from "../../scripts/deploy-checks.mjs";
import { callbackUrls, deploy } from "../../scripts/deploy.mjs";

const PENDING = `Resource location: remote

Migrations to be applied:
┌───────────────────────────┐
│ Name                      │
├───────────────────────────┤
│ 0004_email_domains.sql    │
├───────────────────────────┤
│ 0005_consents.sql         │
└───────────────────────────┘
`;
const APPLIED = "Resource location: remote \n\n✅ No migrations to apply!\n";
const NO_TOKEN = "\u001b[31m✘ \u001b[41;31m[\u001b[41;97mERROR\u001b[41;31m]\u001b[0m \u001b[1mIn a non-interactive environment, it's necessary to set a CLOUDFLARE_API_TOKEN environment variable for wrangler to work.\u001b[0m\n";

const READY = { PUBLIC_URL: "https://auth.example.com", UPSTREAM_ISSUER: "https://idp.example.com", UPSTREAM_CLIENT_ID: "gatehouse" };
const variables = (problems: { variable: string }[]) => problems.map((p) => p.variable);

describe("checkVars", () => {
  it("accepts an https origin and one upstream", () => {
    expect(checkVars(READY)).toEqual([]);
    expect(checkVars({ PUBLIC_URL: "https://auth.example.com/", UPSTREAMS: "[]" })).toEqual([]);
  });

  it("names PUBLIC_URL and the upstream when neither is set (the repository as shipped)", () => {
    expect(variables(checkVars({ SERVICE_NAME: "Gatehouse" }))).toEqual(["PUBLIC_URL", "UPSTREAM_ISSUER"]);
  });

  it.each([
    ["plain http", "http://auth.example.com"],
    ["loopback", "http://localhost:8787"],
    ["a path", "https://auth.example.com/gatehouse"],
    ["a query", "https://auth.example.com/?x=1"],
    ["credentials", "https://u:p@auth.example.com"],
    ["no URL at all", "auth.example.com"],
  ])("refuses PUBLIC_URL with %s", (_case, value) => {
    const problems = checkVars({ ...READY, PUBLIC_URL: value });
    expect(variables(problems)).toEqual(["PUBLIC_URL"]);
    expect(problems[0]?.message).toContain("must be an https origin");
  });

  it("asks for UPSTREAM_CLIENT_ID with UPSTREAM_ISSUER", () => {
    expect(variables(checkVars({ PUBLIC_URL: READY.PUBLIC_URL, UPSTREAM_ISSUER: READY.UPSTREAM_ISSUER }))).toEqual(["UPSTREAM_CLIENT_ID"]);
  });

  it("counts an upstream kept as a secret", () => {
    expect(checkVars({ PUBLIC_URL: READY.PUBLIC_URL }, ["UPSTREAMS"])).toEqual([]);
    expect(checkVars({ PUBLIC_URL: READY.PUBLIC_URL, UPSTREAM_ISSUER: READY.UPSTREAM_ISSUER }, ["UPSTREAM_CLIENT_ID"])).toEqual([]);
  });

  it.each(["true", "TRUE", "1", "yes"])("refuses DEV_IDP=%s", (value) => {
    expect(variables(checkVars({ ...READY, DEV_IDP: value }))).toEqual(["DEV_IDP"]);
  });

  it("lets DEV_IDP=false through", () => {
    expect(checkVars({ ...READY, DEV_IDP: "false" })).toEqual([]);
  });
});

describe("checkDatabase", () => {
  it("refuses the placeholder database_id, naming it", () => {
    const problems = checkDatabase([{ binding: "DB", database_id: PLACEHOLDER_DATABASE_ID }]);
    expect(variables(problems)).toEqual(["database_id"]);
    expect(problems[0]?.message).toContain("npx wrangler d1 create gatehouse");
  });

  it("accepts a real id and refuses a missing binding", () => {
    expect(checkDatabase([{ binding: "DB", database_id: "1b2c3d4e-0000-4000-8000-000000000001" }])).toEqual([]);
    expect(variables(checkDatabase([]))).toEqual(["d1_databases"]);
  });
});

describe("readMigrationList", () => {
  it("reads an up-to-date remote database", () => {
    expect(readMigrationList({ status: 0, stdout: APPLIED, stderr: "" })).toEqual({ state: "applied" });
    expect(checkMigrations({ state: "applied" })).toEqual([]);
  });

  it("names the migrations still to apply", () => {
    const listing = readMigrationList({ status: 0, stdout: PENDING, stderr: "" });
    expect(listing).toEqual({ state: "pending", names: ["0004_email_domains.sql", "0005_consents.sql"] });
    expect(checkMigrations(listing)).toEqual([
      { variable: "migrations", message: "0004_email_domains.sql, 0005_consents.sql not applied to the remote database: run `npx wrangler d1 migrations apply DB --remote`" },
    ]);
  });

  it("says it could not check when wrangler cannot reach Cloudflare, quoting wrangler's reason", () => {
    const listing = readMigrationList({ status: 1, stdout: "Resource location: remote\n", stderr: NO_TOKEN });
    expect(listing).toEqual({ state: "unknown", reason: "In a non-interactive environment, it's necessary to set a CLOUDFLARE_API_TOKEN environment variable for wrangler to work." });
    expect(checkMigrations(listing)[0]?.message).toMatch(/^could not be checked \(In a non-interactive environment/);
  });

  it("says it could not check when wrangler did not start or answered something else", () => {
    expect(readMigrationList({ status: null, stdout: "", stderr: "", error: new Error("spawn npx ENOENT") })).toEqual({ state: "unknown", reason: "spawn npx ENOENT" });
    expect(readMigrationList({ status: 0, stdout: "something new", stderr: "" })).toEqual({ state: "unknown", reason: "wrangler's answer was not understood" });
  });
});

describe("parseDeployArgs and clientUrl", () => {
  it("reads --var in each of wrangler's spellings, --env and --config", () => {
    expect(parseDeployArgs(["--var", "PUBLIC_URL:https://a.example", "UPSTREAMS:[{\"x\":1}]", "--var=DEV_IDP:false", "-e", "staging", "--config=alt.jsonc", "--minify"])).toEqual({
      vars: { PUBLIC_URL: "https://a.example", UPSTREAMS: '[{"x":1}]', DEV_IDP: "false" },
      env: "staging",
      config: "alt.jsonc",
    });
  });

  it("gives clients PUBLIC_URL/mcp", () => {
    expect(clientUrl("https://auth.example.com/")).toBe("https://auth.example.com/mcp");
  });
});

describe("npm run deploy", () => {
  const realDb = [{ binding: "DB", database_id: "1b2c3d4e-0000-4000-8000-000000000001" }];
  function harness(vars: Record<string, string>, answers: Record<string, { status: number; stdout: string; stderr: string }>) {
    const calls: string[][] = [];
    const out: string[] = [];
    const err: string[] = [];
    const status = (argv: string[]) =>
      deploy(argv, {
        readConfig: () => ({ vars, d1_databases: realDb }),
        run: (args: string[]) => {
          calls.push(args);
          return answers[args.slice(0, 3).join(" ")] ?? { status: 1, stdout: "", stderr: "unexpected" };
        },
        print: (line: string) => out.push(line),
        printError: (line: string) => err.push(line),
      });
    return { status, calls, out, err };
  }

  it("deploys a complete configuration and prints the URL for clients", () => {
    const h = harness(READY, { "d1 migrations list": { status: 0, stdout: APPLIED, stderr: "" }, "deploy --minify": { status: 0, stdout: "", stderr: "" } });
    expect(h.status(["--minify"])).toBe(0);
    expect(h.calls).toEqual([["d1", "migrations", "list", "DB", "--remote"], ["deploy", "--minify"]]);
    expect(h.out.join("\n")).toContain("Give MCP clients this URL: https://auth.example.com/mcp");
  });

  it("prints the one callback URL of a single provider, and one per provider when there are several", () => {
    expect(callbackUrls({ PUBLIC_URL: "https://auth.example.com", UPSTREAM_ISSUER: "https://idp.example.com" })).toEqual(["Your identity provider's redirect (callback) URL: https://auth.example.com/callback"]);
    expect(callbackUrls({ PUBLIC_URL: "https://auth.example.com", UPSTREAMS: JSON.stringify([{ name: "okta" }, { name: "github" }]) })).toEqual([
      "The redirect (callback) URL to register at okta: https://auth.example.com/callback/okta",
      "The redirect (callback) URL to register at github: https://auth.example.com/callback/github",
    ]);
  });

  it("refuses before deploying when migrations are pending, naming them", () => {
    const h = harness(READY, { "d1 migrations list": { status: 0, stdout: PENDING, stderr: "" } });
    expect(h.status([])).toBe(1);
    expect(h.calls.map((c) => c[0])).not.toContain("deploy");
    expect(h.err.join("\n")).toContain("migrations 0004_email_domains.sql, 0005_consents.sql not applied");
  });

  it("refuses the repository as shipped with every problem named, consulting secrets for the upstream", () => {
    const h = harness({ SERVICE_NAME: "Gatehouse" }, { "secret list --format": { status: 0, stdout: "[]", stderr: "" }, "d1 migrations list": { status: 0, stdout: APPLIED, stderr: "" } });
    expect(h.status([])).toBe(1);
    expect(h.calls.map((c) => c[0])).not.toContain("deploy");
    expect(h.err.slice(1, 3).map((l) => l.trim().split(" ")[0])).toEqual(["PUBLIC_URL", "UPSTREAM_ISSUER"]);
  });

  it("takes --var values and an upstream secret into account", () => {
    const h = harness({}, {
      "secret list --format": { status: 0, stdout: JSON.stringify([{ name: "UPSTREAMS", type: "secret_text" }]), stderr: "" },
      "d1 migrations list": { status: 0, stdout: APPLIED, stderr: "" },
      "deploy --var PUBLIC_URL:https://auth.example.com": { status: 0, stdout: "", stderr: "" },
    });
    expect(h.status(["--var", "PUBLIC_URL:https://auth.example.com"])).toBe(0);
    expect(h.err).toEqual([]);
  });
});
