// The grant types a client is served and the secret methods that stand in for each other (issue 19).
import { describe, expect, it } from "vitest";
import { acceptsAuthMethod, servedGrantTypes } from "./client-rules";

describe("servedGrantTypes", () => {
  it("adds refresh_token to a self-registered client that may use authorization_code (Zed's DCR, Goose's document)", () => {
    expect(servedGrantTypes({ kind: "dcr", clientId: "z", grantTypes: ["authorization_code"] })).toEqual(["authorization_code", "refresh_token"]);
    expect(servedGrantTypes({ kind: "cimd", clientId: "z", grantTypes: ["authorization_code"] })).toEqual(["authorization_code", "refresh_token"]);
  });

  it("keeps a registration that already lists both", () => {
    expect(servedGrantTypes({ kind: "dcr", clientId: "z", grantTypes: ["authorization_code", "refresh_token"] })).toEqual(["authorization_code", "refresh_token"]);
  });

  it("serves a static client exactly what the operator configured", () => {
    expect(servedGrantTypes({ kind: "static", clientId: "z", grantTypes: ["authorization_code"] })).toEqual(["authorization_code"]);
  });

  it("adds the JWT-bearer grant for a client a trusted enterprise IdP may assert for, and only for it", () => {
    const idps = [{ clients: ["claude-enterprise"] }];
    expect(servedGrantTypes({ kind: "static", clientId: "claude-enterprise", grantTypes: ["authorization_code"] }, idps)).toEqual(["authorization_code", "urn:ietf:params:oauth:grant-type:jwt-bearer"]);
    expect(servedGrantTypes({ kind: "static", clientId: "other", grantTypes: ["authorization_code"] }, idps)).toEqual(["authorization_code"]);
  });
});

describe("acceptsAuthMethod", () => {
  it("lets a confidential client present its secret either way (claude.ai posts it for a client registered for basic)", () => {
    expect(acceptsAuthMethod("client_secret_basic", "client_secret_post")).toBe(true);
    expect(acceptsAuthMethod("client_secret_post", "client_secret_basic")).toBe(true);
    expect(acceptsAuthMethod("client_secret_post", "client_secret_post")).toBe(true);
  });

  it("never lets a confidential client skip its secret, nor a public client present one", () => {
    expect(acceptsAuthMethod("client_secret_basic", "none")).toBe(false);
    expect(acceptsAuthMethod("client_secret_post", "none")).toBe(false);
    expect(acceptsAuthMethod("none", "client_secret_post")).toBe(false);
    expect(acceptsAuthMethod("none", "client_secret_basic")).toBe(false);
    expect(acceptsAuthMethod("none", "none")).toBe(true);
  });
});
