// The session cookie: set after every successful sign-in, read by /authorize (single sign-on) and /account.
import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import type { AppEnv } from "./app-env";
import { SESSION_TTL_SECONDS, signSession, verifySession } from "../tokens/session-token";
import type { Session } from "../identity";

export const SESSION_COOKIE = "__Host-gh_session";
/** A session token is a few hundred bytes; anything far longer is not one of ours. */
const MAX_COOKIE_LENGTH = 2048;

/** Starts (or replaces) the browser's session as `userId`, signed in just now with `provider`. */
export async function startSession(c: Context<AppEnv>, userId: string, provider: string): Promise<void> {
  const token = await signSession(c.env, c.get("config").issuer, { userId, provider, signedInAt: Date.now() });
  setCookie(c, SESSION_COOKIE, token, { path: "/", secure: true, httpOnly: true, sameSite: "Lax", maxAge: SESSION_TTL_SECONDS });
}

/**
 * The session the browser presents, if its signature and lifetime check out. Whether the person has since signed
 * out everywhere is for the caller to check against D1 (src/policy/consent.ts `sessionCounts`).
 */
export async function presentedSession(c: Context<AppEnv>): Promise<Session | undefined> {
  const token = getCookie(c, SESSION_COOKIE);
  if (!token || token.length > MAX_COOKIE_LENGTH) return undefined;
  return verifySession(c.env, c.get("config").issuer, token);
}

export function endSession(c: Context<AppEnv>): void {
  deleteCookie(c, SESSION_COOKIE, { path: "/", secure: true });
}
