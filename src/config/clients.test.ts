import { describe, expect, it } from "vitest";
import type { ConfigVars } from "../env";
import { parseClients } from "./clients";
import { Reader } from "./reader";

const secret = "s".repeat(32);

function read(vars: ConfigVars) {
  const reader = new Reader(vars);
  return { ...parseClients(reader), problems: reader.problems };
}

describe("parseClients", () => {
  it("defaults to no static clients and the documented caps", () => {
    expect(read({})).toEqual({ staticClients: [], maxDcrClients: 10_000, maxCimdClients: 10_000, maxDcrClientsPerSource: 100, clientPolicies: [], problems: [] });
  });

  it("gives a static client the defaults of RFC 7591 §2 and always the authorization code grant", () => {
    const { staticClients, problems } = read({ STATIC_CLIENTS: JSON.stringify([{ client_id: "tool", client_name: "Tool", redirect_uris: ["https://tool.example/cb"], grant_types: ["refresh_token"] }]) });
    expect(problems).toEqual([]);
    expect(staticClients).toEqual([
      { clientId: "tool", clientName: "Tool", redirectUris: ["https://tool.example/cb"], grantTypes: ["authorization_code", "refresh_token"], tokenEndpointAuthMethod: "none", clientSecret: undefined, applicationType: "web", introspection: false },
    ]);
  });

  it.each([
    ["a secret on a public client", { token_endpoint_auth_method: "none", client_secret: secret }],
    ["no secret on a confidential client", { token_endpoint_auth_method: "client_secret_post" }],
  ])("refuses %s", (_case, entry) => {
    const { problems } = read({ STATIC_CLIENTS: JSON.stringify([{ client_id: "c", client_name: "C", redirect_uris: ["https://c.example/cb"], ...entry }]) });
    expect(problems).toEqual([{ variable: "STATIC_CLIENTS", message: "client c needs a client_secret (of 32 or more characters) exactly when it authenticates with one" }]);
  });

  it("quotes the entry and field of a malformed client", () => {
    const { staticClients, problems } = read({ STATIC_CLIENTS: JSON.stringify([{ client_id: "c", client_name: "C", token_endpoint_auth_method: "client_secret_basic", client_secret: "short" }]) });
    expect(staticClients).toEqual([]);
    expect(problems.map((p) => p.variable)).toEqual(["STATIC_CLIENTS"]);
    expect(problems[0]?.message).toMatch(/^must be a JSON array of clients \(0\.client_secret: /);
  });

  it("refuses more than 100 static clients", () => {
    const many = Array.from({ length: 101 }, (_, i) => ({ client_id: `c${i}`, client_name: "C", redirect_uris: ["https://c.example/cb"] }));
    expect(read({ STATIC_CLIENTS: JSON.stringify(many) }).problems.map((p) => p.variable)).toEqual(["STATIC_CLIENTS"]);
  });
});
