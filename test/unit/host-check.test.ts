import { describe, expect, it } from "vitest";
import { decideHost } from "../../src/http/host-check";

const PUBLIC = "https://auth.example.com";
const decide = (url: string, method = "GET", accept = "") => decideHost(new URL(url), PUBLIC, method, accept);

describe("decideHost", () => {
  it("passes PUBLIC_URL's origin, whatever the path", () => {
    expect(decide("https://auth.example.com/token", "POST")).toEqual({ action: "pass" });
    expect(decide("https://AUTH.example.com:443/mcp")).toEqual({ action: "pass" });
  });

  it.each([
    ["another scheme", "http://auth.example.com/token"],
    ["another port", "https://auth.example.com:8443/token"],
    ["another host", "https://gatehouse.acme.workers.dev/token"],
    ["a subdomain", "https://x.auth.example.com/token"],
  ])("refuses %s", (_case, url) => {
    expect(decide(url, "POST")).toEqual({ action: "refuse", page: false });
  });

  it("redirects a browser's GET or HEAD of a page or discovery document, keeping path and query", () => {
    expect(decide("https://alias.example/authorize?a=1&b=%20", "GET", "text/html")).toEqual({ action: "redirect", location: `${PUBLIC}/authorize?a=1&b=%20` });
    expect(decide("https://alias.example/", "HEAD", "text/html")).toEqual({ action: "redirect", location: `${PUBLIC}/` });
    expect(decide("https://alias.example/callback/okta?code=c", "GET", "text/html")).toEqual({ action: "redirect", location: `${PUBLIC}/callback/okta?code=c` });
    expect(decide("https://alias.example/.well-known/jwks.json", "GET", "text/html;q=0.9")).toEqual({ action: "redirect", location: `${PUBLIC}/.well-known/jwks.json` });
    expect(decide("https://alias.example/dev-idp/.well-known/openid-configuration", "GET", "text/html")).toEqual({
      action: "redirect",
      location: `${PUBLIC}/dev-idp/.well-known/openid-configuration`,
    });
  });

  it("refuses a page to anything but a browser's GET, as a page", () => {
    expect(decide("https://alias.example/authorize", "POST", "text/html")).toEqual({ action: "refuse", page: true });
    expect(decide("https://alias.example/account", "GET", "application/json")).toEqual({ action: "refuse", page: true });
  });

  it("never redirects an API path, even for a browser", () => {
    for (const path of ["/token", "/mcp", "/register", "/healthz", "/admin/api/users", "/dev-idp/token"]) {
      expect(decide(`https://alias.example${path}`, "GET", "text/html")).toEqual({ action: "refuse", page: false });
    }
  });
});
