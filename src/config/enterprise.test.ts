// TRUSTED_ENTERPRISE_IDPS: shape, https issuers, one entry per issuer, the provider users are kept under.
import { describe, expect, it } from "vitest";
import type { ConfigVars } from "../env";
import { parseEnterprise } from "./enterprise";
import { Reader } from "./reader";

function read(value: unknown, upstreams: { name: string; issuer: string }[] = []) {
  const reader = new Reader({ TRUSTED_ENTERPRISE_IDPS: JSON.stringify(value) } as ConfigVars);
  return { ...parseEnterprise(reader, upstreams), problems: reader.problems.map((p) => p.variable) };
}

describe("parseEnterprise", () => {
  it("defaults to no trusted IdP", () => {
    const reader = new Reader({});
    expect(parseEnterprise(reader, [])).toEqual({ trustedEnterpriseIdps: [] });
  });

  it("keeps users under the upstream with the same issuer, else under the issuer; names the IdP by its host", () => {
    const { trustedEnterpriseIdps, problems } = read(
      [
        { issuer: "https://acme.okta.com", clients: ["claude"] },
        { issuer: "https://beta.example", clients: ["claude"], name: "Beta", provider: "beta-sso", audiences: ["https://auth.example.com/mcp"], trust_email: true },
      ],
      [{ name: "okta", issuer: "https://acme.okta.com" }],
    );
    expect(problems).toEqual([]);
    expect(trustedEnterpriseIdps).toEqual([
      { issuer: "https://acme.okta.com", name: "acme.okta.com", clients: ["claude"], audiences: undefined, provider: "okta", trustEmail: false },
      { issuer: "https://beta.example", name: "Beta", clients: ["claude"], audiences: ["https://auth.example.com/mcp"], provider: "beta-sso", trustEmail: true },
    ]);
  });

  it.each([
    ["an http issuer off loopback", [{ issuer: "http://acme.example", clients: ["c"] }]],
    ["no clients", [{ issuer: "https://acme.example", clients: [] }]],
    ["an unknown field", [{ issuer: "https://acme.example", clients: ["c"], jwks_uri: "https://acme.example/keys" }]],
    ["the same issuer twice", [{ issuer: "https://acme.example", clients: ["c"] }, { issuer: "https://acme.example", clients: ["d"] }]],
    ["not an array", { issuer: "https://acme.example", clients: ["c"] }],
  ])("names TRUSTED_ENTERPRISE_IDPS for %s", (_case, value) => {
    expect(read(value).problems).toEqual(["TRUSTED_ENTERPRISE_IDPS"]);
  });
});
