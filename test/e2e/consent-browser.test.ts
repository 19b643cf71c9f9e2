// The consent flow in a real headless Chromium (test/e2e/chromium.ts: the one npm install brings, driven by playwright-core): the consent
// page shows who is asking, where the answer goes and what it may do; Approve leads through the development IdP's
// sign-in to the client's loopback redirect URI with `code`, `state` and `iss`. Also refreshes docs/consent.png.
import { mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium } from "./chromium";
import { type LoopbackListener, startLoopbackListener } from "./loopback-listener";
import { type Gatehouse, startGatehouse } from "../support/node/wrangler-dev";
import { authorizeUrl, pkce, registerClient } from "../support/oauth";

const REDIRECT_URI = "http://127.0.0.1:8869/callback";
const CLIENT_NAME = "Consent Test App";
const SCREENSHOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../docs/consent.png");


describe("consent in a real browser", () => {
  let server: Gatehouse | undefined;
  let browser: Browser | undefined;
  let listener: LoopbackListener | undefined;
  let page: Page;
  let clientId: string;

  beforeAll(async () => {
    [server, browser, listener] = await Promise.all([startGatehouse(8861), launchChromium(), startLoopbackListener(REDIRECT_URI)]);
    const client = await registerClient(
      { base: server.url, fetch },
      { client_name: CLIENT_NAME, redirect_uris: [REDIRECT_URI], token_endpoint_auth_method: "none", grant_types: ["authorization_code", "refresh_token"], response_types: ["code"] },
    );
    clientId = client.client_id;
    const context = await browser.newContext({ viewport: { width: 900, height: 900 } });
    page = await context.newPage();
  });

  afterAll(async () => {
    await browser?.close();
    await listener?.close();
    await server?.stop();
  });

  it("shows the consent page, approves, signs in and returns code, state and iss to the redirect URI", async () => {
    const gatehouse = server!;
    const { verifier, challenge } = await pkce();
    const state = crypto.randomUUID();
    const authorize = authorizeUrl(gatehouse.url, { clientId, redirectUri: REDIRECT_URI, challenge, state, scope: "mcp offline_access" }, { resource: undefined });

    const consent = await page.goto(authorize.toString());
    expect(consent?.status()).toBe(200);
    const headers = consent!.headers();
    expect(headers["content-security-policy"]).toContain("frame-ancestors 'none'");
    expect(headers["x-frame-options"]).toBe("DENY");

    await expect.poll(() => page.title()).toContain("Allow access?");
    const heading = page.locator("h1");
    expect(await heading.innerText()).toBe(`Allow ${CLIENT_NAME} to use Gatehouse?`);
    expect(await page.locator("h1 strong").innerText()).toBe(CLIENT_NAME);
    const body = await page.locator("main").innerText();
    expect(body).toContain(`${CLIENT_NAME} receives access through an app on this computer (127.0.0.1)`);
    expect(body).toContain("Unverified application");
    const scopes = await page.locator("ul.scopes li").allInnerTexts();
    expect(scopes).toEqual(["Use Gatehouse as you: call its tools and read what they return", "Stay connected when you are not using it, until you revoke access"]);
    const approve = page.locator('button[name="decision"][value="approve"]');
    expect(await approve.innerText()).toBe("Approve");
    expect(await approve.isVisible()).toBe(true);

    mkdirSync(dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });

    // Approve → development IdP sign-in page.
    await approve.click();
    const email = page.locator('input[name="email"]');
    await email.waitFor({ state: "visible" });
    expect(await page.locator("h1").innerText()).toBe("Development sign-in");
    await email.fill("ada@example.com");

    // Sign in → Gatehouse /callback → 302 to the client's redirect URI.
    const callbackRequest = page.waitForRequest((request) => request.url().startsWith(REDIRECT_URI));
    await page.locator('button[name="action"][value="login"]').click();
    const callback = new URL((await callbackRequest).url());
    await page.waitForURL((url) => url.href.startsWith(REDIRECT_URI));
    expect(await page.locator("body").innerText()).toBe("callback received");

    expect(`${callback.origin}${callback.pathname}`).toBe(REDIRECT_URI);
    expect(callback.searchParams.get("code")).toMatch(/^gh1c_/);
    expect(callback.searchParams.get("state")).toBe(state);
    expect(callback.searchParams.get("iss")).toBe(gatehouse.url);
    expect(callback.searchParams.get("error")).toBeNull();
    // The browser may also ask the listener for /favicon.ico.
    expect(listener!.callbacks.filter((url) => url.pathname === "/callback")).toHaveLength(1);

    // The code is real: it redeems at /token with the PKCE verifier.
    const token = await fetch(`${gatehouse.url}/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ grant_type: "authorization_code", code: callback.searchParams.get("code")!, redirect_uri: REDIRECT_URI, client_id: clientId, code_verifier: verifier }),
    });
    const tokens = (await token.json()) as { access_token?: string; refresh_token?: string; token_type?: string };
    expect(token.status, JSON.stringify(tokens)).toBe(200);
    expect(tokens.token_type).toMatch(/^bearer$/i);
    expect(tokens.access_token).toBeTruthy();
    expect(tokens.refresh_token).toBeTruthy();
  });
});
