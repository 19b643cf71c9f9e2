// When a browser's earlier consent and sign-in carry over to a new authorization request. Pure: /authorize applies
// it to the session cookie and the D1 consent it found (src/oauth/session.ts, src/db/consents.ts).
import type { Session } from "../tokens/session-token";

/** The part of a redirect URI a consent is remembered for: scheme and host (a loopback port changes per run). */
export function redirectHost(redirectUri: string): string {
  const url = new URL(redirectUri);
  return `${url.protocol}//${url.hostname}`;
}

/** Whether every requested scope was approved before. */
export function scopesApproved(approved: readonly string[] | undefined, requested: readonly string[]): boolean {
  return approved !== undefined && requested.every((scope) => approved.includes(scope));
}

/** A session as the browser presented it, checked against the person's "sign out everywhere" time. */
export function sessionCounts(session: Session | undefined, sessionsRevokedAt: number | undefined): session is Session {
  return session !== undefined && (sessionsRevokedAt === undefined || session.signedInAt > sessionsRevokedAt);
}

/**
 * What GET /authorize does: show the consent page, or go on as the signed-in person because they approved this
 * client, redirect host and every requested scope before. `prompt=consent` always shows the page; `prompt=login`
 * still skips it but signs in upstream again.
 * @see https://openid.net/specs/openid-connect-core-1_0.html#AuthRequest (prompt)
 */
export function consentStep(input: { prompt: readonly string[]; signedIn: boolean; approved: boolean }): "show" | "skip" {
  if (input.prompt.includes("consent")) return "show";
  return input.signedIn && input.approved ? "skip" : "show";
}

/**
 * The `prompt` Gatehouse sends upstream. `login` when the client asked for a fresh login. `none` when the consent
 * page was skipped for remembered consent and no live grant could lend its identity: a signed-in upstream answers
 * without showing anything, and a refusal falls back to an interactive login (consent is not asked twice). Only
 * OpenID providers define `prompt`.
 */
export function upstreamPrompt(input: { prompt: readonly string[]; remembered: boolean; oidc: boolean }): "login" | "none" | undefined {
  if (input.prompt.includes("login")) return "login";
  return input.remembered && input.oidc ? "none" : undefined;
}
