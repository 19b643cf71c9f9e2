// EMAIL_POLICY=work end to end: the real `npm run email-domains` loads the lists into wrangler dev's local D1, then
// a sign-in through the development IdP as a free-mail address gets the refusal page and a work address its code.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HeadlessBrowser, visibleText } from "../support/browser";
import { type Gatehouse, startGatehouse } from "../support/node/wrangler-dev";
import { authorizeUrl, pkce, registerClient } from "../support/oauth";

const PORT = 8881;
const REDIRECT_URI = "http://127.0.0.1:8889/callback";
const ADMIN_TOKEN = "e2e-admin-token-0123456789abcdef-0123456789";

describe("EMAIL_POLICY=work with the lists loaded by npm run email-domains", () => {
  let server: Gatehouse;
  let clientId: string;

  beforeAll(async () => {
    server = await startGatehouse(PORT, { EMAIL_POLICY: "work", ADMIN_TOKEN }, { emailDomains: true });
    const client = await registerClient(
      { base: server.url, fetch },
      { client_name: "Email policy e2e", redirect_uris: [REDIRECT_URI], token_endpoint_auth_method: "none", grant_types: ["authorization_code"], response_types: ["code"] },
    );
    clientId = client.client_id;
  });

  afterAll(async () => {
    await server?.stop();
  });

  /** Starts a sign-in as `email` in a fresh browser; resolves to the redirect to the client. */
  function authorizeAs(browser: HeadlessBrowser, email: string, challenge: string): Promise<URL> {
    const url = authorizeUrl(server.url, { clientId, redirectUri: REDIRECT_URI, challenge, state: "e2e" }, { resource: undefined });
    return browser.authorize(url, { fill: { email }, choose: ["decision=approve", "action=login"], stopAt: (u) => `${u.origin}${u.pathname}` === REDIRECT_URI });
  }

  it("refuses a gmail.com address at the callback with the work-email page, and stores no user", async () => {
    const browser = new HeadlessBrowser();
    await expect(authorizeAs(browser, "someone@gmail.com", (await pkce()).challenge)).rejects.toThrow(/answered 403/);
    const page = browser.pages.at(-1);
    expect(page?.url.pathname).toBe("/callback");
    expect(page?.status).toBe(403);
    expect(visibleText(page?.html ?? "")).toContain("Use your work email");
    expect(visibleText(page?.html ?? "")).toContain("Sign in with your work account.");
    const users = await fetch(`${server.url}/admin/api/users?domain=gmail.com`, { headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(users.status).toBe(200);
    expect(((await users.json()) as { items: unknown[] }).items).toEqual([]);
  });

  it("admits a work address: the client gets its code and redeems it", async () => {
    const { verifier, challenge } = await pkce();
    const final = await authorizeAs(new HeadlessBrowser(), "ada@analytical.example", challenge);
    const code = final.searchParams.get("code") ?? "";
    expect(code).toMatch(/^gh1c_/);
    expect(final.searchParams.get("iss")).toBe(server.url);
    const token = await fetch(`${server.url}/token`, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ grant_type: "authorization_code", code, code_verifier: verifier, redirect_uri: REDIRECT_URI, client_id: clientId }),
    });
    expect(token.status, await token.clone().text()).toBe(200);
  });
});
