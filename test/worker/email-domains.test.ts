// ALLOWED_EMAIL_DOMAINS and EMAIL_POLICY=work at the callback: a refused account gets a clear page, and no user,
// grant or code.
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import disposableDomains from "disposable-email-domains-js/dist/dict/disposable_email_blocklist.json";
import freeDomains from "email-providers/all.json";
import { beforeAll, describe, expect, it } from "vitest";
import type { Env } from "../../src/env";
import { Browser, location } from "./helpers/browser";
import { emailRefusalPage } from "../../src/oauth/email-admission";
import { approveAndSignIn, authorizeUrl, grantOf, pkce, registerClient } from "./helpers/oauth";

const restricted = { ...env, ALLOWED_EMAIL_DOMAINS: "analytical.example" } as Env;

describe("ALLOWED_EMAIL_DOMAINS", () => {
  it("admits an account from a listed domain", async () => {
    const browser = new Browser(restricted);
    const { challenge } = await pkce();
    const callback = await approveAndSignIn(browser, authorizeUrl(await registerClient(), challenge), "ada@analytical.example");
    expect(location(await browser.fetch(callback.href)).searchParams.get("code")).toMatch(/^gh1c_/);
  });

  it("refuses another domain with a 403 page, storing no user and issuing no code", async () => {
    const browser = new Browser(restricted);
    const { challenge } = await pkce();
    const callback = await approveAndSignIn(browser, authorizeUrl(await registerClient(), challenge), "eve@gmail.example");
    const res = await browser.fetch(callback.href);
    expect(res.status).toBe(403);
    expect(res.headers.get("Location")).toBeNull();
    expect(await res.text()).toContain("This email address cannot sign in here");
    expect(await env.DB.prepare("SELECT 1 FROM users WHERE email = ?").bind("eve@gmail.example").first()).toBeNull();
  });
});

// EMAIL_POLICY=work with the real lists, seeded as `npm run email-domains` would (disposable wins when in both).
const work = { ...env, EMAIL_POLICY: "work" } as Env;

async function loadLists(): Promise<void> {
  const insert = (kind: string, domains: string[]) =>
    env.DB.prepare("INSERT OR REPLACE INTO email_domains (domain, kind) SELECT lower(value), ? FROM json_each(?)").bind(kind, JSON.stringify(domains));
  await env.DB.batch([env.DB.prepare("DELETE FROM email_domains"), insert("free", freeDomains), insert("disposable", disposableDomains)]);
  expect(await env.DB.prepare("SELECT count(*) AS n FROM email_domains").first("n")).toBeGreaterThan(10_000);
}

/** Signs in through the development IdP as `email` under EMAIL_POLICY=work; the callback's response. */
async function callbackAs(email: string): Promise<Response> {
  const browser = new Browser(work);
  const { challenge } = await pkce();
  const callback = await approveAndSignIn(browser, authorizeUrl(await registerClient(), challenge), email);
  return browser.fetch(callback.href);
}

async function expectRefused(res: Response, email: string, status: number, title: string, text: string): Promise<void> {
  expect(res.status).toBe(status);
  expect(res.headers.get("Location")).toBeNull();
  const html = await res.text();
  expect(html).toContain(title);
  expect(html).toContain(text);
  expect(await env.DB.prepare("SELECT 1 FROM users WHERE email = ?").bind(email).first()).toBeNull();
}

describe("EMAIL_POLICY=work", () => {
  beforeAll(loadLists);

  it("refuses a free-mail address with a 403 page, storing no user and issuing no code", async () => {
    await expectRefused(await callbackAs("someone@gmail.com"), "someone@gmail.com", 403, "Use your work email", "sign in to Gatehouse. Sign in with your work account.");
    const { results } = await env.DB.prepare("SELECT detail FROM events WHERE type = 'login.failed'").all<{ detail: string }>();
    expect(results.map((r) => JSON.parse(r.detail))).toContainEqual(expect.objectContaining({ error: "email_domain", reason: "EMAIL_POLICY=work: free-mail domain" }));
  });

  it("refuses a disposable address, and one at a subdomain of a disposable domain", async () => {
    for (const email of ["someone@mailinator.com", "someone@sub.mailinator.com"]) {
      await expectRefused(await callbackAs(email), email, 403, "Disposable email addresses can&#39;t sign in", "Sign in with your work account.");
    }
  });

  it("admits a work domain on neither list", async () => {
    for (const email of ["grace@navy.example", "someone@example-corp.test"]) {
      expect(location(await callbackAs(email)).searchParams.get("code")).toMatch(/^gh1c_/);
      expect(await env.DB.prepare("SELECT 1 FROM users WHERE email = ?").bind(email).first()).not.toBeNull();
    }
  });

  it("refuses every sign-in with a 503 page while the lists are not loaded", async () => {
    await env.DB.prepare("DELETE FROM email_domains").run();
    try {
      await expectRefused(await callbackAs("hedy@navy.example"), "hedy@navy.example", 503, "Sign-in is unavailable", "so sign-in is turned off");
    } finally {
      await loadLists();
    }
  });
});

// ALLOW_UNVERIFIED_EMAIL admits unverified addresses, but never through a domain rule: an unverified domain proves
// nothing. The development IdP always verifies, so the unverified person here is a live grant's, lent by single sign-on.
describe("an unverified address under ALLOWED_EMAIL_DOMAINS with ALLOW_UNVERIFIED_EMAIL", () => {
  const lenient = { ...env, ALLOWED_EMAIL_DOMAINS: "victim.example", ALLOW_UNVERIFIED_EMAIL: "true" } as Env;

  it("is not lent by single sign-on: the person must sign in at the provider again", async () => {
    const browser = new Browser(lenient);
    const client = await registerClient();
    const callback = await approveAndSignIn(browser, authorizeUrl(client, (await pkce()).challenge), "ceo@victim.example");
    const first = location(await browser.fetch(callback.href));
    const code = first.searchParams.get("code") ?? "";
    // A verified sign-in is lent as before.
    const again = await browser.fetch(authorizeUrl(client, (await pkce()).challenge));
    expect(location(await browser.submit(await again.text(), { name: "decision", value: "approve" })).searchParams.get("code")).toMatch(/^gh1c_/);
    await runInDurableObject(grantOf(code), (_i, state) => {
      state.storage.sql.exec("UPDATE grant_state SET user = json_set(user, '$.emailVerified', json('false'))");
    });
    await env.DB.prepare("DELETE FROM grants WHERE id != ?").bind(/^gh1c_([0-9a-f]{64})\./.exec(code)?.[1] ?? "").run();
    const page = await browser.fetch(authorizeUrl(client, (await pkce()).challenge));
    const upstream = location(await browser.submit(await page.text(), { name: "decision", value: "approve" }));
    expect(upstream.pathname).toBe("/dev-idp/authorize");
  });

  it("gets a page saying why", async () => {
    const page = emailRefusalPage("unverified", "Gatehouse", "unverified email address under ALLOWED_EMAIL_DOMAINS");
    expect(page.status).toBe(403);
    expect(page.title).toBe("Verify your email address first");
    expect(page.message).toBe(
      "Gatehouse only admits accounts from approved email domains, and your identity provider has not verified your email address, so its domain proves nothing. Verify your email address there, then sign in again.",
    );
  });
});
