// Double-submit CSRF protection for Gatehouse's own forms (consent, connected apps), on top of hono's Origin check.
import type { Context } from "hono";
import { csrf } from "hono/csrf";
import { getCookie, setCookie } from "hono/cookie";
import { randomSecret, timingSafeEqual } from "../crypto";
import type { AppEnv } from "./app-env";

/** The cookie whose value must come back in a form's `csrf` field. */
export const CSRF_COOKIE = "__Host-gh_csrf";
/** How long a page may be left open before its form stops working. */
const CSRF_MAX_AGE = 3600;
/** The shape of every random cookie value Gatehouse sets (256 bits, base64url). */
export const COOKIE_VALUE = /^[A-Za-z0-9_-]{43}$/;

/** Form POSTs must come from Gatehouse's own pages (Sec-Fetch-Site same-origin, or Origin = PUBLIC_URL). */
export const sameOrigin = csrf({ origin: (origin, c) => origin === (c as Context<AppEnv>).get("config").publicUrl });

/** The token for a form on this page: the browser's current one while valid, so two open pages both keep working. */
export function csrfToken(c: Context<AppEnv>): string {
  const existing = getCookie(c, CSRF_COOKIE);
  const token = existing && COOKIE_VALUE.test(existing) ? existing : randomSecret();
  setCookie(c, CSRF_COOKIE, token, { path: "/", secure: true, httpOnly: true, sameSite: "Lax", maxAge: CSRF_MAX_AGE });
  return token;
}

/** Whether a form's `csrf` fields are exactly one, equal to the cookie; the reason for a log when not. */
export function checkCsrf(c: Context<AppEnv>, fields: string[]): { ok: true } | { ok: false; reason: string } {
  const cookie = getCookie(c, CSRF_COOKIE);
  if (fields.length === 1 && cookie && COOKIE_VALUE.test(cookie) && timingSafeEqual(fields[0] ?? "", cookie)) return { ok: true };
  return { ok: false, reason: fields.length === 1 && cookie ? "csrf token mismatch" : "csrf token or cookie missing" };
}
