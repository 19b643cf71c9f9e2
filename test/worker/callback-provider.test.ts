// With several providers each has its own redirection endpoint, /callback/<provider>; a response at another
// provider's path than the pending sign-in's is refused with a page and changes nothing (RFC 9700 §4.4.2).
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { Env } from "../../src/env";
import { BASE, Browser, location, parseForm } from "./helpers/browser";
import { authorizeUrl, grantOf, pkce, registerClient } from "./helpers/oauth";

/** The development IdP ("dev") and a second provider that these tests never contact. */
const twoProviders = { ...env, UPSTREAMS: JSON.stringify([{ name: "corp", label: "Corp SSO", issuer: "https://idp.corp.example", client_id: "gh" }]) } as Env;

/** Approves the consent page with the development IdP and signs in there; the IdP's redirect back to Gatehouse. */
async function signInWithDev(browser: Browser, state = "s"): Promise<{ upstream: URL; callback: URL }> {
  const client = await registerClient();
  const page = await browser.fetch(authorizeUrl(client, (await pkce()).challenge, { state }));
  expect(page.status).toBe(200);
  const form = parseForm(await page.text());
  // With several providers each has its Approve button; this clicks the development IdP's.
  const dev = form.buttons.find((b) => b.formaction === "/authorize?provider=dev");
  const action = new URL(dev?.formaction ?? form.action, BASE).href;
  const approved = await browser.fetch(action, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded", Origin: BASE, "Sec-Fetch-Site": "same-origin" },
    body: new URLSearchParams([...form.hidden, ["decision", "approve"]]),
  });
  const upstream = location(approved);
  const login = await browser.fetch(upstream.href);
  expect(login.status).toBe(200);
  const callback = location(await browser.submit(await login.text(), { name: "action", value: "login" }, { email: "ada@providers.example" }));
  return { upstream, callback };
}

function pendingStatus(stateHandle: string): Promise<string> {
  return runInDurableObject(grantOf(stateHandle), (_i, state) => state.storage.sql.exec<{ status: string }>("SELECT status FROM grant_state").one().status);
}

describe("the upstream redirect URI", () => {
  it("is PUBLIC_URL/callback with one provider", async () => {
    const { upstream, callback } = await signInWithDev(new Browser());
    expect(upstream.searchParams.get("redirect_uri")).toBe(`${BASE}/callback`);
    expect(`${callback.origin}${callback.pathname}`).toBe(`${BASE}/callback`);
  });

  it("is PUBLIC_URL/callback/<provider> with several, and the sign-in completes there", async () => {
    const browser = new Browser(twoProviders);
    const { upstream, callback } = await signInWithDev(browser, "two");
    expect(upstream.searchParams.get("redirect_uri")).toBe(`${BASE}/callback/dev`);
    expect(`${callback.origin}${callback.pathname}`).toBe(`${BASE}/callback/dev`);
    const done = location(await browser.fetch(callback.href));
    expect(done.searchParams.get("code")).toMatch(/^gh1c_/);
    expect(done.searchParams.get("state")).toBe("two");
  });
});

describe("a response at another provider's callback path", () => {
  it("is refused with a page and leaves the pending sign-in untouched, so the genuine response still completes", async () => {
    const browser = new Browser(twoProviders);
    const { callback } = await signInWithDev(browser);
    const state = callback.searchParams.get("state") ?? "";
    const misrouted = await browser.fetch(`${BASE}/callback/corp${callback.search}`);
    expect(misrouted.status).toBe(400);
    expect(misrouted.headers.get("Location")).toBeNull();
    expect(misrouted.headers.get("Content-Type")).toBe("text/html; charset=UTF-8");
    expect(misrouted.headers.get("Cache-Control")).toBe("no-store");
    expect(misrouted.headers.get("Content-Security-Policy")).toContain("frame-ancestors 'none'");
    expect(await misrouted.text()).toContain("came back from another sign-in provider than the one you chose");
    expect(await pendingStatus(state)).toBe("pending");
    expect(location(await browser.fetch(callback.href)).searchParams.get("code")).toMatch(/^gh1c_/);
  });

  it("refuses a path naming no configured provider with a page, changing nothing", async () => {
    const browser = new Browser(twoProviders);
    const { callback } = await signInWithDev(browser);
    const res = await browser.fetch(`${BASE}/callback/nobody${callback.search}`);
    expect(res.status).toBe(400);
    expect(await res.text()).toContain("for a sign-in provider that is not configured here");
    expect(await pendingStatus(callback.searchParams.get("state") ?? "")).toBe("pending");
  });

  it("still accepts the plain /callback with several providers (sign-ins begun before the second was added)", async () => {
    const browser = new Browser(twoProviders);
    const { callback } = await signInWithDev(browser, "plain");
    const done = location(await browser.fetch(`${BASE}/callback${callback.search}`));
    expect(done.searchParams.get("state")).toBe("plain");
    expect(done.searchParams.get("code")).toMatch(/^gh1c_/);
  });
});

describe("the consent page of a signed-in browser with several providers", () => {
  it("continues as the person at the session's provider, and still offers the other provider", async () => {
    const browser = new Browser(twoProviders);
    const { callback } = await signInWithDev(browser);
    location(await browser.fetch(callback.href));
    const page = await browser.fetch(authorizeUrl(await registerClient(), (await pkce()).challenge));
    const html = await page.text();
    expect(html).toContain("You are signed in with Development sign-in as <strong>ada@providers.example</strong>.");
    expect(parseForm(html).buttons).toEqual([
      { name: "decision", value: "approve", formaction: "/authorize?provider=dev" },
      { name: "decision", value: "another_account", formaction: "/authorize?provider=dev" },
      { name: "decision", value: "approve", formaction: "/authorize?provider=corp" },
      { name: "decision", value: "cancel", formaction: undefined },
    ]);
    expect(html).toContain("Continue as ada@providers.example");
    expect(html).toContain("Approve with Corp SSO");
  });
});
