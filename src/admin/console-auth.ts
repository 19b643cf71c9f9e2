// The admin console's sign-in: the console is a first-party client of Gatehouse itself (CONSOLE_CLIENT_ID), so an
// administrator signs in through /authorize and the identity provider like anyone else, with `prompt=login`; the
// session cookie that sign-in starts is the one /account reads, and the console accepts it only for
// ADMIN_SESSION_TTL after the sign-in and only for a person ADMIN_EMAILS, ADMIN_DOMAINS or ADMIN_GROUPS admits.
import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { calculatePKCECodeChallenge, generateRandomCodeVerifier } from "oauth4webapi";
import { CONSOLE_CALLBACK_PATH, CONSOLE_CLIENT_ID } from "../config/admin";
import { randomSecret, timingSafeEqual } from "../crypto";
import { getGrantIndex } from "../db/grants";
import { type ConsoleUser, getUser } from "../db/users";
import { parseHandle } from "../durable/handle";
import { PageError } from "../errors";
import type { AppEnv } from "../http/app-env";
import { audit } from "../http/audit";
import { checkCsrf, COOKIE_VALUE } from "../http/csrf";
import { FORM_LIMIT, readText } from "../http/params";
import { revokeGrant } from "../http/revoke-grants";
import { endSession, presentedSession } from "../http/session";
import { admitAdmin, consoleSessionFresh } from "../policy/admin-access";
import { sessionCounts } from "../policy/consent";
import type { Actor } from "./actions";

/** The console sign-in's `state`, kept in the browser that began it (login CSRF, RFC 6749 §10.12). */
const LOGIN_COOKIE = "__Host-gh_admin_login";
const LOGIN_TTL = 600;

/** Who is at the console: an administrator, nobody signed in (recently enough), or a signed-in non-administrator. */
export type Visitor = { kind: "admin"; user: ConsoleUser; who: string; actor: Actor } | { kind: "signed_out" } | { kind: "refused"; user: ConsoleUser; who: string; reason: string };

/** The browser's person as the console judges them now (blocked, lists and session age re-read on every request). */
export async function consoleVisitor(c: Context<AppEnv>): Promise<Visitor> {
  const access = c.get("config").admin;
  const session = await presentedSession(c);
  if (!access || !session) return { kind: "signed_out" };
  const user = await getUser(c.env.DB, session.userId);
  if (!user || !sessionCounts(session, user.sessionsRevokedAt) || !consoleSessionFresh(session.signedInAt, access.sessionTtl, Date.now())) return { kind: "signed_out" };
  const who = user.email ?? user.name ?? user.userId;
  const decision = admitAdmin(access, { email: user.email, emailVerified: user.emailVerified, domain: user.domain, groups: user.adminGroups, blocked: user.blockedAt !== undefined });
  if (!decision.ok) return { kind: "refused", user, who, reason: decision.reason };
  return { kind: "admin", user, who, actor: { by: "console", userId: user.userId } };
}

/** GET /admin/sign-in: the authorization request of the console's own client, always with a fresh upstream login. */
export async function beginConsoleSignIn(c: Context<AppEnv>): Promise<Response> {
  const config = c.get("config");
  const state = randomSecret();
  // The console never redeems its code (the session cookie is what it wants), but /authorize demands PKCE S256.
  const challenge = await calculatePKCECodeChallenge(generateRandomCodeVerifier());
  setCookie(c, LOGIN_COOKIE, state, { path: "/", secure: true, httpOnly: true, sameSite: "Lax", maxAge: LOGIN_TTL });
  const url = new URL("/authorize", config.publicUrl);
  url.search = new URLSearchParams({
    response_type: "code",
    client_id: CONSOLE_CLIENT_ID,
    redirect_uri: `${config.publicUrl}${CONSOLE_CALLBACK_PATH}`,
    code_challenge: challenge,
    code_challenge_method: "S256",
    state,
    prompt: "login",
  }).toString();
  return c.redirect(url.href, 302);
}

/**
 * GET /admin/callback: the authorization response. The state must be this browser's; the code's grant, the console
 * client's, is revoked at once (it was only a sign-in); the admission is recorded as an event either way.
 */
export async function finishConsoleSignIn(c: Context<AppEnv>): Promise<"admin" | "refused" | "cancelled"> {
  const params = new URL(c.req.url).searchParams;
  const expected = getCookie(c, LOGIN_COOKIE);
  deleteCookie(c, LOGIN_COOKIE, { path: "/", secure: true });
  const state = params.get("state") ?? "";
  if (!expected || !COOKIE_VALUE.test(expected) || !timingSafeEqual(state, expected) || params.get("iss") !== c.get("config").issuer) {
    throw new PageError("This sign-in has expired", "Open the admin console again and sign in.", { status: 400, reason: "console callback state or iss mismatch" });
  }
  if (params.has("error")) return "cancelled";
  const handle = parseHandle("code", params.get("code"));
  const grant = handle && (await getGrantIndex(c.env.DB, handle.grantId));
  if (!grant || grant.clientId !== CONSOLE_CLIENT_ID) throw new PageError("Invalid sign-in response", "Open the admin console again and sign in.", { reason: "console callback code of no console grant" });
  await revokeGrant(c, grant, "console sign-in complete");
  const visitor = await consoleVisitor(c);
  if (visitor.kind === "admin") {
    audit(c, { type: "admin.signed_in", userId: visitor.user.userId });
    return "admin";
  }
  audit(c, { type: "admin.refused", userId: grant.userId, detail: { reason: visitor.kind === "refused" ? visitor.reason : "no fresh session" } });
  return "refused";
}

/** POST /admin/sign-out: ends this browser's session; grants elsewhere are untouched. */
export function endConsoleSession(c: Context<AppEnv>): void {
  endSession(c);
}

/** A console form: form-encoded, CSRF-checked, from an administrator. */
export async function consoleForm(c: Context<AppEnv>): Promise<{ form: URLSearchParams; admin: Extract<Visitor, { kind: "admin" }> }> {
  if (!/^application\/x-www-form-urlencoded\b/i.test(c.req.header("Content-Type") ?? "")) {
    throw new PageError("Invalid form", "This form was not sent as a form.", { reason: "console POST not form-urlencoded" });
  }
  const form = new URLSearchParams(await readText(c, FORM_LIMIT));
  const checked = checkCsrf(c, form.getAll("csrf"));
  if (!checked.ok) throw new PageError("This form has expired", "Open the page again and retry.", { status: 403, reason: checked.reason });
  const visitor = await consoleVisitor(c);
  if (visitor.kind !== "admin") throw new PageError("You are signed out of the console", "Sign in to the admin console again, then retry.", { status: 401, reason: `console POST by ${visitor.kind}` });
  return { form, admin: visitor };
}

/** The one value of `name` in `form`, bounded; anything else is a page error naming the field. */
export function oneField(form: URLSearchParams, name: string, max = 2000): string {
  const values = form.getAll(name);
  const value = values[0];
  if (values.length !== 1 || !value || value.length > max) throw new PageError("Invalid form", `The form's ${name} is missing or not valid.`, { reason: `console form without one ${name}` });
  return value;
}
