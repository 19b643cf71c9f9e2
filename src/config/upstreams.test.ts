import { describe, expect, it } from "vitest";
import type { ConfigVars } from "../env";
import { Reader } from "./reader";
import { parseUpstreams } from "./upstreams";

const PUBLIC = "https://auth.example.com";
const single = { UPSTREAM_ISSUER: "https://idp.example.com", UPSTREAM_CLIENT_ID: "gatehouse" };
const okta = { name: "okta", issuer: "https://example.okta.com", client_id: "a" };

function read(vars: ConfigVars, publicUrl = PUBLIC) {
  const reader = new Reader(vars);
  return { ...parseUpstreams(reader, publicUrl), problems: reader.problems, warnings: reader.warnings };
}

describe("parseUpstreams", () => {
  it("lists the single provider, then UPSTREAMS, then the development IdP", () => {
    const { upstreams } = read({ ...single, UPSTREAMS: JSON.stringify([okta]), DEV_IDP: "true" }, "http://localhost:8787");
    expect(upstreams.map((u) => u.name)).toEqual(["default", "okta", "dev"]);
    expect(upstreams[0]?.label).toBe("idp.example.com");
  });

  it("lets a provider's allow_unverified_email override ALLOW_UNVERIFIED_EMAIL", () => {
    const { upstreams } = read({ ...single, ALLOW_UNVERIFIED_EMAIL: "true", UPSTREAMS: JSON.stringify([{ ...okta, allow_unverified_email: false }]) });
    expect(upstreams.map((u) => [u.name, u.allowUnverifiedEmail])).toEqual([
      ["default", true],
      ["okta", false],
    ]);
  });

  it("gives an oauth2 provider no default scopes and the account `id` as subject, an oidc one the OIDC defaults", () => {
    const github = { name: "gh", type: "oauth2", issuer: "https://github.com", client_id: "b", authorization_endpoint: "https://github.com/a", token_endpoint: "https://github.com/t", userinfo_endpoint: "https://api.github.com/user" };
    const { upstreams, problems } = read({ UPSTREAMS: JSON.stringify([github, okta]) });
    expect(problems).toEqual([]);
    expect(upstreams.map((u) => [u.name, u.scopes, u.claims.subject])).toEqual([
      ["gh", "", "id"],
      ["okta", "openid email profile", "sub"],
    ]);
  });

  it("refuses a provider name used twice, the single provider's `default` included", () => {
    const { problems } = read({ ...single, UPSTREAMS: JSON.stringify([{ ...okta, name: "default" }]) });
    expect(problems).toEqual([{ variable: "UPSTREAMS", message: "provider names must be unique" }]);
  });

  it("names UPSTREAMS for a plain-http issuer listed there", () => {
    const { problems } = read({ UPSTREAMS: JSON.stringify([{ ...okta, issuer: "http://example.okta.com" }]) });
    expect(problems.map((p) => p.variable)).toEqual(["UPSTREAMS"]);
  });

  it("reports only the provider problem when every configured provider is refused", () => {
    expect(read({ UPSTREAMS: "[]" }).problems.map((p) => p.variable)).toEqual(["UPSTREAMS"]);
    expect(read({ UPSTREAM_ISSUER: "idp.example.com", UPSTREAM_CLIENT_ID: "x" }).problems.map((p) => p.variable)).toEqual(["UPSTREAM_ISSUER"]);
    expect(read({ DEV_IDP: "true" }).problems.map((p) => p.variable)).toEqual(["DEV_IDP"]);
  });

  it("still says no provider is configured when only ALLOW_UNVERIFIED_EMAIL is wrong", () => {
    expect(read({ ALLOW_UNVERIFIED_EMAIL: "maybe" }).problems.map((p) => p.variable)).toEqual(["ALLOW_UNVERIFIED_EMAIL", "UPSTREAM_ISSUER"]);
  });

  it("warns about the development IdP wherever it is asked for, and enables it only on loopback", () => {
    const local = read({ DEV_IDP: "true" }, "http://127.0.0.1:8787");
    expect([local.devIdp, local.warnings]).toEqual([true, ["DEV_IDP is on: anyone can sign in as any email (development only)"]]);
    const remote = read({ ...single, DEV_IDP: "true" });
    expect([remote.devIdp, remote.warnings.length, remote.upstreams.map((u) => u.name)]).toEqual([false, 1, ["default"]]);
  });

  it("gives a github provider GitHub.com's endpoints, the emails lookup, its scopes and the numeric id as subject", () => {
    const { upstreams, problems } = read({ UPSTREAMS: JSON.stringify([{ name: "github", type: "github", client_id: "Iv1.abc", client_secret: "s", claims: { org_name: "company" } }]) });
    expect(problems).toEqual([]);
    expect(upstreams[0]).toMatchObject({
      name: "github",
      label: "GitHub",
      type: "github",
      issuer: "https://github.com",
      scopes: "read:user user:email",
      authorizationEndpoint: "https://github.com/login/oauth/authorize",
      tokenEndpoint: "https://github.com/login/oauth/access_token",
      userinfoEndpoint: "https://api.github.com/user",
      emailsEndpoint: "https://api.github.com/user/emails",
      claims: { subject: "id", email: "email", orgName: "company" },
    });
  });

  it("puts a GitHub Enterprise Server's endpoints under its base_url, the REST API under /api/v3", () => {
    const ghes = { name: "ghes", type: "github", base_url: "https://github.corp.example", client_id: "a" };
    const { upstreams, problems } = read({ UPSTREAMS: JSON.stringify([ghes]) });
    expect(problems).toEqual([]);
    expect(upstreams[0]).toMatchObject({
      label: "github.corp.example",
      issuer: "https://github.corp.example",
      authorizationEndpoint: "https://github.corp.example/login/oauth/authorize",
      tokenEndpoint: "https://github.corp.example/login/oauth/access_token",
      userinfoEndpoint: "https://github.corp.example/api/v3/user",
      emailsEndpoint: "https://github.corp.example/api/v3/user/emails",
      tokenDeletionEndpoint: "https://github.corp.example/api/v3/applications/a/token",
    });
  });

  it("keeps the emails lookup for an oauth2 entry written for GitHub.com, and none for another oauth2 provider", () => {
    const legacy = { name: "gh", type: "oauth2", issuer: "https://github.com", client_id: "b", authorization_endpoint: "https://github.com/login/oauth/authorize", token_endpoint: "https://github.com/login/oauth/access_token", userinfo_endpoint: "https://api.github.com/user" };
    const other = { ...legacy, name: "other", userinfo_endpoint: "https://api.example.com/me" };
    const { upstreams } = read({ UPSTREAMS: JSON.stringify([legacy, other]) });
    expect(upstreams.map((u) => u.emailsEndpoint)).toEqual(["https://api.github.com/user/emails", undefined]);
  });

  it.each([
    ["a base_url with a trailing slash", { name: "g", type: "github", base_url: "https://github.corp.example/", client_id: "a" }, "UPSTREAMS"],
    ["a plain-http base_url off loopback", { name: "g", type: "github", base_url: "http://github.corp.example", client_id: "a" }, "UPSTREAMS"],
    ["base_url on an oidc provider", { ...okta, base_url: "https://github.corp.example" }, "UPSTREAMS"],
    ["an oidc provider without issuer", { name: "x", client_id: "a" }, "UPSTREAMS"],
  ])("refuses %s", (_case, entry, variable) => {
    expect(read({ UPSTREAMS: JSON.stringify([entry]) }).problems.map((p) => p.variable)).toEqual([variable]);
  });
});
