// ALLOWED_EMAIL_DOMAINS at the callback: an account from another domain gets a clear page, and no user, grant or code.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { Env } from "../../src/env";
import { Browser, location } from "./helpers/browser";
import { approveAndSignIn, authorizeUrl, pkce, registerClient } from "./helpers/oauth";

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
