import { describe, expect, it } from "vitest";
import { parseConfig } from "../config";
import type { Env } from "../env";
import { builtInResource, presentedResource, protectedResources, resolveResource } from "./resource";

const base = { PUBLIC_URL: "https://auth.example.com", UPSTREAM_ISSUER: "https://idp.example.com", UPSTREAM_CLIENT_ID: "gh", SCOPES: "mcp read" };
const servers = JSON.stringify([
  { name: "github", origin: "https://github-mcp.example/mcp", scopes: "read" },
  { name: "files", path: "/files", origin: "https://files.example/mcp" },
]);
const config = parseConfig({ ...base, MCP_SERVERS: servers } as Env);

describe("protected resources with gateway servers (RFC 8707, RFC 9728)", () => {
  it("lists /mcp and each server with its resource, metadata URL (path inserted after the well-known prefix) and scopes", () => {
    expect(config.problems).toEqual([]);
    expect(protectedResources(config)).toEqual([
      { path: "/mcp", resource: "https://auth.example.com/mcp", label: "Gatehouse", metadataUrl: "https://auth.example.com/.well-known/oauth-protected-resource/mcp", scopes: ["mcp", "read"] },
      { path: "/mcp/github", resource: "https://auth.example.com/mcp/github", label: "github", metadataUrl: "https://auth.example.com/.well-known/oauth-protected-resource/mcp/github", scopes: ["read"] },
      { path: "/files", resource: "https://auth.example.com/files", label: "files", metadataUrl: "https://auth.example.com/.well-known/oauth-protected-resource/files", scopes: ["mcp", "read"] },
    ]);
  });

  it("lets a server at /mcp replace the built-in resource there", () => {
    const replaced = parseConfig({ ...base, MCP_SERVERS: JSON.stringify([{ name: "main", path: "/mcp", origin: "https://main.example/mcp", scopes: "read" }]) } as Env);
    expect(protectedResources(replaced)).toEqual([{ ...builtInResource(replaced), label: "main", scopes: ["read"] }]);
  });

  it("resolves any configured resource to its canonical form, with the MCP resource as the default", () => {
    expect(resolveResource(config, undefined)).toBe("https://auth.example.com/mcp");
    expect(resolveResource(config, "https://auth.example.com/mcp/github")).toBe("https://auth.example.com/mcp/github");
    expect(resolveResource(config, "HTTPS://AUTH.EXAMPLE.COM/mcp/github?x=1")).toBe("https://auth.example.com/mcp/github");
    expect(resolveResource(config, "https://auth.example.com/files")).toBe("https://auth.example.com/files");
  });

  it.each(["https://auth.example.com/mcp/other", "https://auth.example.com/mcp/github/", "https://auth.example.com/files#x", "https://github-mcp.example/mcp", "https://user@auth.example.com/files"])(
    "refuses %j (invalid_target)",
    (value) => {
      expect(resolveResource(config, value)).toBeUndefined();
    },
  );

  it("refuses the issuer when several resources could be meant", () => {
    expect(resolveResource(config, "https://auth.example.com")).toBeUndefined();
    expect(resolveResource(config, "https://auth.example.com/")).toBeUndefined();
  });

  it("passes an unknown presented resource through unchanged so the grant refuses it", () => {
    expect(presentedResource(config, "https://auth.example.com/mcp/github?x=1")).toBe("https://auth.example.com/mcp/github");
    expect(presentedResource(config, "https://auth.example.com/nowhere")).toBe("https://auth.example.com/nowhere");
    expect(presentedResource(config, undefined)).toBeUndefined();
  });
});

const single = parseConfig(base as Env);

describe("resolveResource with only the built-in /mcp", () => {
  it("defaults to the MCP resource when absent", () => {
    expect(resolveResource(single, undefined)).toBe("https://auth.example.com/mcp");
  });

  it("accepts exactly the MCP resource", () => {
    expect(resolveResource(single, "https://auth.example.com/mcp")).toBe("https://auth.example.com/mcp");
  });

  it.each(["https://auth.example.com/mcp?client=chatgpt", "HTTPS://AUTH.EXAMPLE.COM/mcp", "https://Auth.Example.com:443/mcp"])(
    "accepts %j as the MCP resource (same scheme, host and path), answering with the canonical one",
    (value) => {
      expect(resolveResource(single, value)).toBe("https://auth.example.com/mcp");
    },
  );

  // VS Code's agent host may send the authorization server's origin (issue 19): with one resource it can only mean that.
  it.each(["https://auth.example.com", "https://auth.example.com/", "HTTPS://AUTH.EXAMPLE.COM/"])("maps the issuer %j to the only protected resource", (value) => {
    expect(resolveResource(single, value)).toBe("https://auth.example.com/mcp");
  });

  it.each(["https://auth.example.com/?x=1", "https://auth.example.com/mcp/", "https://auth.example.com/MCP", "https://other.example.com/mcp", "", "https://auth.example.com/mcp#x", "http://auth.example.com/mcp", "https://auth.example.com:8443/mcp", "https://user@auth.example.com/mcp"])(
    "refuses %j",
    (value) => {
      expect(resolveResource(single, value)).toBeUndefined();
    },
  );
});
