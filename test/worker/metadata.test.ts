// Discovery documents: RFC 8414 AS metadata, RFC 9728 protected resource metadata, their path variants and CORS.
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";

const BASE = "http://localhost:8787";

const AS_METADATA = {
  issuer: BASE,
  authorization_endpoint: `${BASE}/authorize`,
  token_endpoint: `${BASE}/token`,
  registration_endpoint: `${BASE}/register`,
  revocation_endpoint: `${BASE}/revoke`,
  introspection_endpoint: `${BASE}/introspect`,
  jwks_uri: `${BASE}/.well-known/jwks.json`,
  scopes_supported: ["mcp", "offline_access"],
  response_types_supported: ["code"],
  response_modes_supported: ["query"],
  grant_types_supported: ["authorization_code", "refresh_token"],
  code_challenge_methods_supported: ["S256"],
  token_endpoint_auth_methods_supported: ["none", "client_secret_basic", "client_secret_post"],
  revocation_endpoint_auth_methods_supported: ["none", "client_secret_basic", "client_secret_post"],
  introspection_endpoint_auth_methods_supported: ["client_secret_basic", "client_secret_post"],
  authorization_response_iss_parameter_supported: true,
  client_id_metadata_document_supported: true,
  service_documentation: `${BASE}/`,
};

const PRM = {
  resource: `${BASE}/mcp`,
  authorization_servers: [BASE],
  scopes_supported: ["mcp"],
  bearer_methods_supported: ["header"],
  resource_name: "Gatehouse",
};

describe("authorization server metadata (RFC 8414)", () => {
  it.each([
    "/.well-known/oauth-authorization-server",
    "/.well-known/openid-configuration",
    "/.well-known/oauth-authorization-server/mcp",
    "/.well-known/openid-configuration/mcp",
  ])("serves the same document at %s with issuer exactly PUBLIC_URL", async (path) => {
    const res = await exports.default.fetch(`${BASE}${path}`);
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Type")).toMatch(/^application\/json/);
    expect(res.headers.get("Cache-Control")).toBe("public, max-age=300");
    expect(await res.json()).toEqual(AS_METADATA);
  });

  it("is reachable at every URL the MCP SDK tries for a root issuer", async () => {
    const { buildDiscoveryUrls } = await import("@modelcontextprotocol/sdk/client/auth.js");
    for (const { url } of buildDiscoveryUrls(BASE)) {
      const res = await exports.default.fetch(url.href);
      expect(res.status, url.href).toBe(200);
      expect(((await res.json()) as { issuer: string }).issuer).toBe(BASE);
    }
  });

  it("answers 404 for an unknown path-insertion variant", async () => {
    const res = await exports.default.fetch(`${BASE}/.well-known/oauth-authorization-server/other`);
    expect(res.status).toBe(404);
  });
});

describe("protected resource metadata (RFC 9728)", () => {
  it.each(["/.well-known/oauth-protected-resource/mcp", "/.well-known/oauth-protected-resource"])(
    "serves %s with resource exactly PUBLIC_URL/mcp and no offline_access",
    async (path) => {
      const res = await exports.default.fetch(`${BASE}${path}`);
      expect(res.status).toBe(200);
      expect(res.headers.get("Content-Type")).toMatch(/^application\/json/);
      expect(res.headers.get("Cache-Control")).toBe("public, max-age=300");
      expect(await res.json()).toEqual(PRM);
    },
  );
});

describe("CORS on discovery", () => {
  it("allows a cross-origin GET", async () => {
    const res = await exports.default.fetch(`${BASE}/.well-known/oauth-authorization-server`, { headers: { Origin: "https://app.example.com" } });
    expect(res.status).toBe(200);
    expect(res.headers.get("Access-Control-Allow-Origin")).toBe("*");
  });

  it("answers a preflight that asks for the MCP-Protocol-Version header", async () => {
    const res = await exports.default.fetch(`${BASE}/.well-known/oauth-protected-resource/mcp`, {
      method: "OPTIONS",
      headers: { Origin: "https://app.example.com", "Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "mcp-protocol-version" },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get("Access-Control-Allow-Origin")).toBe("*");
    expect(res.headers.get("Access-Control-Allow-Methods")).toContain("GET");
    expect(res.headers.get("Access-Control-Allow-Headers")).toBe("mcp-protocol-version");
  });
});
