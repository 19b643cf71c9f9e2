// GET/POST /authorize: every rejection (page or redirect, with `iss`), defaults, the consent page, CSRF, cancel, approve.
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { clientInsert } from "../../src/db/clients";
import { BASE, Browser, location, parseForm } from "./helpers/browser";
import { authorizeUrl, grantOf, MCP_RESOURCE, pkce, REDIRECT_URI, registerClient, type TestClient } from "./helpers/oauth";

let client: TestClient;
let challenge: string;

beforeAll(async () => {
  client = await registerClient({ client_name: "Claude Code" });
  ({ challenge } = await pkce());
});

/** Asserts an HTML error page: status, never a redirect, no-store, framing forbidden. */
async function expectPage(res: Response, status: number, text: string): Promise<void> {
  expect(res.status).toBe(status);
  expect(res.headers.get("Location")).toBeNull();
  expect(res.headers.get("Content-Type")).toMatch(/^text\/html/);
  expect(res.headers.get("Cache-Control")).toBe("no-store");
  expect(await res.text()).toContain(text);
}

/** Asserts an error redirect to the client's redirect URI with exactly `error`, `error_description`, `state` and `iss`. */
function expectErrorRedirect(res: Response, error: string, state: string | null = "client-state-123", redirectUri = REDIRECT_URI): void {
  const url = location(res);
  expect(`${url.origin}${url.pathname}`).toBe(redirectUri);
  const params = Object.fromEntries(url.searchParams);
  expect(params).toEqual({ error, error_description: expect.any(String), iss: BASE, ...(state === null ? {} : { state }) });
  expect(res.headers.get("Cache-Control")).toBe("no-store");
}

function get(url: string): Promise<Response> {
  return new Browser().fetch(url);
}

describe("GET /authorize: errors shown as a page, never redirected", () => {
  it.each([
    ["client_id is missing", { client_id: undefined }, "Missing application"],
    ["client_id is unknown", { client_id: "no-such-client" }, "Unknown application"],
    ["redirect_uri is not registered", { redirect_uri: "http://127.0.0.1:33418/other" }, "Unregistered redirect URI"],
    ["redirect_uri differs by host", { redirect_uri: "https://attacker.example/callback" }, "Unregistered redirect URI"],
    ["redirect_uri differs by scheme", { redirect_uri: "https://127.0.0.1:33418/callback" }, "Unregistered redirect URI"],
  ])("when %s", async (_name, params, text) => {
    await expectPage(await get(authorizeUrl(client, challenge, params)), 400, text);
  });

  it("when client_id is repeated", async () => {
    await expectPage(await get(`${authorizeUrl(client, challenge)}&client_id=${client.client_id}`), 400, "more than one application");
  });

  it("when redirect_uri is repeated", async () => {
    await expectPage(await get(`${authorizeUrl(client, challenge)}&redirect_uri=${encodeURIComponent(REDIRECT_URI)}`), 400, "more than one redirect_uri");
  });

  it("when redirect_uri is missing and the client registered several", async () => {
    const several = await registerClient({ redirect_uris: [REDIRECT_URI, "http://127.0.0.1:33418/second"] });
    await expectPage(await get(authorizeUrl(several, challenge, { redirect_uri: undefined })), 400, "has registered several");
  });

  it("even when other parameters are wrong too (client checks come first)", async () => {
    await expectPage(await get(authorizeUrl(client, challenge, { client_id: "nope", response_type: "token", code_challenge: undefined })), 400, "Unknown application");
  });
});

/**
 * Asserts the page that stands in for an error redirect before the person interacted (RFC 9700 §4.11.2): the
 * error's status, no redirect, the page headers, the destination named, and a "Return to the application" link to
 * the redirect URI with exactly `error`, `error_description`, `state` and `iss`.
 */
async function expectReturnPage(res: Response, status: number, error: string, destination: string, state: string | null = "client-state-123", redirectUri = REDIRECT_URI): Promise<URL> {
  expect(res.status).toBe(status);
  expect(res.headers.get("Location")).toBeNull();
  expect(res.headers.get("Content-Type")).toBe("text/html; charset=UTF-8");
  expect(res.headers.get("Cache-Control")).toBe("no-store");
  expect(res.headers.get("X-Frame-Options")).toBe("DENY");
  expect(res.headers.get("Content-Security-Policy")).toContain("frame-ancestors 'none'");
  const html = await res.text();
  expect(html).toContain("This sign-in request cannot continue");
  expect(html).toContain(`The link below goes to <strong>${destination}</strong>`);
  const href = /<a href="([^"]*)">Return to the application<\/a>/.exec(html)?.[1];
  if (href === undefined) throw new Error("no Return to the application link");
  const url = new URL(href.replace(/&amp;/g, "&"));
  expect(url.href.split("?")[0]).toBe(redirectUri.split("?")[0]);
  const registered = Object.fromEntries(new URL(redirectUri).searchParams);
  expect(Object.fromEntries(url.searchParams)).toEqual({ ...registered, error, error_description: expect.any(String), iss: BASE, ...(state === null ? {} : { state }) });
  return url;
}

const BAD_REQUESTS: [string, string, Record<string, string | undefined>][] = [
  ["invalid_request", "response_type is missing", { response_type: undefined }],
  ["unsupported_response_type", "response_type is token", { response_type: "token" }],
  ["invalid_request", "code_challenge is missing", { code_challenge: undefined }],
  ["invalid_request", "code_challenge_method is missing", { code_challenge_method: undefined }],
  ["invalid_request", "code_challenge_method is plain", { code_challenge_method: "plain" }],
  ["invalid_request", "code_challenge is too short", { code_challenge: "abc" }],
  ["invalid_request", "code_challenge has characters outside the unreserved set", { code_challenge: `${"a".repeat(42)}+` }],
  ["invalid_target", "resource is another server", { resource: "https://other.example/mcp" }],
  ["invalid_target", "resource is the issuer's origin on another path", { resource: `${BASE}/other` }],
  ["invalid_scope", "a scope is unknown", { scope: "mcp admin" }],
  ["login_required", "prompt is none", { prompt: "none" }],
];

describe("GET /authorize: a registered client's errors are a page with a link back, not a redirect (RFC 9700 §4.11.2)", () => {
  it.each(BAD_REQUESTS)("%s when %s", async (error, _name, params) => {
    await expectReturnPage(await get(authorizeUrl(client, challenge, params)), 400, error, "an app on this computer (127.0.0.1)");
  });

  it("invalid_request when a parameter is repeated", async () => {
    await expectReturnPage(await get(`${authorizeUrl(client, challenge)}&scope=mcp`), 400, "invalid_request", "an app on this computer (127.0.0.1)");
  });

  it("without state when the request had none", async () => {
    await expectReturnPage(await get(authorizeUrl(client, challenge, { state: undefined, response_type: "token" })), 400, "unsupported_response_type", "an app on this computer (127.0.0.1)", null);
  });

  it("to the port the client used, for a loopback redirect URI (RFC 8252 §7.3)", async () => {
    const other = "http://127.0.0.1:50123/callback";
    await expectReturnPage(await get(authorizeUrl(client, challenge, { redirect_uri: other, response_type: "token" })), 400, "unsupported_response_type", "an app on this computer (127.0.0.1)", "client-state-123", other);
  });

  it("never shows request text on the page: a crafted scope stays in the link only", async () => {
    const crafted = "Your-account-is-locked-call-555-0100";
    const res = await get(authorizeUrl(client, challenge, { scope: `mcp ${crafted}` }));
    const html = await res.clone().text();
    expect(html).toContain("The application asked for a permission this service does not offer. (error: invalid_scope)");
    const url = await expectReturnPage(res, 400, "invalid_scope", "an app on this computer (127.0.0.1)");
    expect(html.replace(/<a href="[^"]*">/g, "")).not.toContain(crafted);
    expect(url.searchParams.get("error_description")).toContain(crafted);
  });

  it("names the https host an error would go to, keeping the registered redirect URI's query", async () => {
    const phish = await registerClient({ redirect_uris: ["https://phish.example/cb?tenant=7"], token_endpoint_auth_method: "none" });
    const url = await expectReturnPage(await get(authorizeUrl(phish, challenge, { scope: "bogus" })), 400, "invalid_scope", "phish.example", "client-state-123", "https://phish.example/cb?tenant=7");
    expect(url.href).toMatch(/^https:\/\/phish\.example\/cb\?tenant=7&error=invalid_scope&/);
  });

  it("names the app of a private-use scheme", async () => {
    const cursor = await registerClient({ redirect_uris: ["cursor://anysphere.cursor-retrieval/oauth/callback"] });
    await expectReturnPage(await get(authorizeUrl(cursor, challenge, { resource: "https://other.example/mcp" })), 400, "invalid_target", "the app that opens cursor:// links", "client-state-123", "cursor://anysphere.cursor-retrieval/oauth/callback");
  });
});

describe("GET /authorize: a static client's errors are redirected with state and iss", () => {
  const staticClient = { client_id: "static-native", redirect_uris: [REDIRECT_URI] };

  beforeAll(async () => {
    await clientInsert(env.DB, {
      clientId: "static-native",
      kind: "static",
      clientName: "Static",
      redirectUris: [REDIRECT_URI],
      grantTypes: ["authorization_code"],
      tokenEndpointAuthMethod: "none",
      applicationType: "native",
      metadata: {},
      createdAt: 0,
    }).run();
  });

  it.each(BAD_REQUESTS)("%s when %s", async (error, _name, params) => {
    expectErrorRedirect(await get(authorizeUrl(staticClient, challenge, params)), error);
  });

  it("without state when the request had none", async () => {
    expectErrorRedirect(await get(authorizeUrl(staticClient, challenge, { state: undefined, response_type: "token" })), "unsupported_response_type", null);
  });

  it("unauthorized_client when the client may not use the authorization code grant", async () => {
    await clientInsert(env.DB, {
      clientId: "refresh-only",
      kind: "static",
      clientName: "Refresh only",
      redirectUris: [REDIRECT_URI],
      grantTypes: ["refresh_token"],
      tokenEndpointAuthMethod: "none",
      applicationType: "native",
      metadata: {},
      createdAt: 0,
    }).run();
    expectErrorRedirect(await get(authorizeUrl({ client_id: "refresh-only", redirect_uris: [REDIRECT_URI] }, challenge)), "unauthorized_client");
  });
});

describe("GET /authorize: the consent page", () => {
  it("shows the client, where the answer goes, the scopes and the provider, with protective headers and a CSRF cookie", async () => {
    const res = await get(authorizeUrl(client, challenge, { scope: "mcp offline_access", prompt: "consent" }));
    expect(res.status).toBe(200);
    expect(res.headers.get("Cache-Control")).toBe("no-store");
    expect(res.headers.get("X-Frame-Options")).toBe("DENY");
    const csp = res.headers.get("Content-Security-Policy") ?? "";
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("default-src 'none'");
    const cookie = res.headers.getAll("Set-Cookie").find((c) => c.startsWith("__Host-gh_csrf=")) ?? "";
    expect(cookie).toMatch(/^__Host-gh_csrf=[A-Za-z0-9_-]{43}; Max-Age=3600; Path=\/; HttpOnly; Secure; SameSite=Lax$/);
    const html = await res.text();
    expect(html).toContain("Claude Code");
    expect(html).toContain('It asks for access to <strong>Gatehouse</strong> (<code>/mcp</code>).');
    expect(html).toContain("an app on this computer (127.0.0.1)");
    expect(html).toContain("Unverified application");
    expect(html).toContain("Stay connected when you are not using it");
    expect(html).toContain("You will sign in with Development sign-in.");
    const form = parseForm(html);
    expect(form.action).toBe(`${BASE}/authorize`);
    expect(form.buttons).toEqual([
      { name: "decision", value: "approve", formaction: undefined },
      { name: "decision", value: "cancel", formaction: undefined },
    ]);
    expect(Object.fromEntries(form.hidden)).toEqual({
      response_type: "code",
      client_id: client.client_id,
      redirect_uri: REDIRECT_URI,
      scope: "mcp offline_access",
      resource: MCP_RESOURCE,
      code_challenge: challenge,
      code_challenge_method: "S256",
      state: "client-state-123",
      prompt: "consent",
      csrf: cookie.slice("__Host-gh_csrf=".length, cookie.indexOf(";")),
    });
  });

  it("defaults the redirect URI, resource and scope, and keeps the redirect URI out of the form when it was not sent", async () => {
    const res = await get(authorizeUrl(client, challenge, { redirect_uri: undefined, resource: undefined, scope: undefined }));
    expect(res.status).toBe(200);
    const fields = Object.fromEntries(parseForm(await res.text()).hidden);
    expect(fields.redirect_uri).toBeUndefined();
    expect(fields.resource).toBe(MCP_RESOURCE);
    expect(fields.scope).toBe("mcp");
  });

  it("reuses a valid CSRF cookie so two open consent pages both work", async () => {
    const browser = new Browser();
    await browser.fetch(authorizeUrl(client, challenge));
    const token = browser.cookie("__Host-gh_csrf");
    await browser.fetch(authorizeUrl(client, challenge));
    expect(browser.cookie("__Host-gh_csrf")).toBe(token);
  });

  it("does not warn about an unverified client registered by the operator", async () => {
    await clientInsert(env.DB, {
      clientId: "static-web",
      kind: "static",
      clientName: "Operator App",
      redirectUris: ["https://app.example/cb"],
      grantTypes: ["authorization_code"],
      tokenEndpointAuthMethod: "none",
      applicationType: "web",
      metadata: {},
      createdAt: 0,
    }).run();
    const html = await (await get(authorizeUrl({ client_id: "static-web", redirect_uris: ["https://app.example/cb"] }, challenge))).text();
    expect(html).toContain("<strong>app.example</strong>");
    expect(html).not.toContain("Unverified application");
    expect(html).not.toContain("on your own device");
  });
});

describe("POST /authorize", () => {
  async function consent(browser = new Browser(), params: Record<string, string | undefined> = {}): Promise<{ browser: Browser; html: string }> {
    const res = await browser.fetch(authorizeUrl(client, challenge, params));
    expect(res.status).toBe(200);
    return { browser, html: await res.text() };
  }

  function post(browser: Browser, fields: [string, string][], headers: Record<string, string> = {}): Promise<Response> {
    return browser.fetch(`${BASE}/authorize`, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded", Origin: BASE, "Sec-Fetch-Site": "same-origin", ...headers },
      body: new URLSearchParams(fields),
    });
  }

  it("redirects to the upstream provider on approval, creating a pending grant bound to this browser", async () => {
    const { browser, html } = await consent();
    const res = await browser.submit(html, { name: "decision", value: "approve" });
    const upstream = location(res);
    expect(`${upstream.origin}${upstream.pathname}`).toBe(`${BASE}/dev-idp/authorize`);
    expect(Object.fromEntries(upstream.searchParams)).toEqual({
      response_type: "code",
      client_id: "gatehouse",
      redirect_uri: `${BASE}/callback`,
      scope: "openid email profile",
      state: expect.stringMatching(/^gh1s_[0-9a-f]{64}\.[A-Za-z0-9_-]{43}$/),
      nonce: expect.any(String),
      code_challenge: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      code_challenge_method: "S256",
    });
    expect(res.headers.get("Cache-Control")).toBe("no-store");
    const bind = res.headers.getAll("Set-Cookie").find((c) => c.startsWith("__Host-gh_bind=")) ?? "";
    expect(bind).toMatch(/^__Host-gh_bind=[A-Za-z0-9_-]{43}; Max-Age=600; Path=\/; HttpOnly; Secure; SameSite=Lax$/);
    const grant = grantOf(upstream.searchParams.get("state") ?? "");
    const row = await runInDurableObject(grant, (_i, state) => state.storage.sql.exec("SELECT status, provider, request FROM grant_state").one());
    expect(row.status).toBe("pending");
    expect(row.provider).toBe("dev");
    expect(JSON.parse(String(row.request))).toEqual({
      clientId: client.client_id,
      redirectUri: REDIRECT_URI,
      redirectUriSent: true,
      scope: "mcp",
      resource: MCP_RESOURCE,
      codeChallenge: challenge,
      state: "client-state-123",
    });
  });

  it("passes prompt=login on to the provider", async () => {
    const { browser, html } = await consent(new Browser(), { prompt: "login" });
    expect(location(await browser.submit(html, { name: "decision", value: "approve" })).searchParams.get("prompt")).toBe("login");
  });

  it("redirects access_denied with state and iss when the person cancels, creating no grant", async () => {
    const { browser, html } = await consent();
    expectErrorRedirect(await browser.submit(html, { name: "decision", value: "cancel" }), "access_denied");
    expect(browser.cookie("__Host-gh_bind")).toBeUndefined();
  });

  it("refuses a form without the CSRF token", async () => {
    const { browser, html } = await consent();
    const fields = parseForm(html).hidden.filter(([name]) => name !== "csrf");
    await expectPage(await post(browser, [...fields, ["decision", "approve"]]), 403, "This form has expired");
  });

  it("refuses a form whose CSRF token differs from the cookie", async () => {
    const { browser, html } = await consent();
    const fields = parseForm(html).hidden.map(([name, value]): [string, string] => [name, name === "csrf" ? "A".repeat(43) : value]);
    await expectPage(await post(browser, [...fields, ["decision", "approve"]]), 403, "This form has expired");
  });

  it("refuses a form posted without the CSRF cookie (another browser)", async () => {
    const { html } = await consent();
    await expectPage(await post(new Browser(), [...parseForm(html).hidden, ["decision", "approve"]]), 403, "This form has expired");
  });

  it("refuses a cross-site form post even with the right token", async () => {
    const { browser, html } = await consent();
    const res = await post(browser, [...parseForm(html).hidden, ["decision", "approve"]], { Origin: "https://evil.example", "Sec-Fetch-Site": "cross-site" });
    expect(res.status).toBe(403);
    expect(res.headers.get("Location")).toBeNull();
    // The page says why (issue 19: every refused sign-in explains itself).
    expect(await res.text()).toContain("the form was not sent from this site&#39;s own page");
  });

  it("re-validates the hidden fields: an unregistered redirect URI is an error page", async () => {
    const { browser, html } = await consent();
    const fields = parseForm(html).hidden.map(([name, value]): [string, string] => [name, name === "redirect_uri" ? "https://attacker.example/cb" : value]);
    await expectPage(await post(browser, [...fields, ["decision", "approve"]]), 400, "Unregistered redirect URI");
  });

  it("re-validates the hidden fields: a widened scope is redirected as invalid_scope", async () => {
    const { browser, html } = await consent();
    const fields = parseForm(html).hidden.map(([name, value]): [string, string] => [name, name === "scope" ? "mcp admin" : value]);
    expectErrorRedirect(await post(browser, [...fields, ["decision", "approve"]]), "invalid_scope");
  });

  it("refuses a form without a decision", async () => {
    const { browser, html } = await consent();
    await expectPage(await post(browser, parseForm(html).hidden), 400, "The consent form was incomplete");
  });
});
