// When a browser's earlier consent and sign-in carry over to a new authorization request. Pure: /authorize applies
// it to the session cookie and the D1 consent it found (src/http/session.ts, src/db/consents.ts).
import { isLoopbackHost } from "../config";
import type { ClientRecord } from "../db/clients";
import type { Session } from "../identity";

/** The part of a redirect URI a consent is remembered for: scheme and host (a loopback port changes per run). */
export function redirectHost(redirectUri: string): string {
  const url = new URL(redirectUri);
  return `${url.protocol}//${url.hostname}`;
}

/** Whether every requested scope was approved before. */
export function scopesApproved(approved: readonly string[] | undefined, requested: readonly string[]): boolean {
  return approved !== undefined && requested.every((scope) => approved.includes(scope));
}

/**
 * Whether the requested protected resource (RFC 8707) is one the consent was given for: approving a client for one
 * server approves it for no other. A consent from before resources were kept covered `builtIn` (/mcp) only.
 */
export function resourceApproved(approved: readonly string[] | undefined, requested: string, builtIn: string): boolean {
  return (approved ?? [builtIn]).includes(requested);
}

/** A session as the browser presented it, checked against the person's "sign out everywhere" time. */
export function sessionCounts(session: Session | undefined, sessionsRevokedAt: number | undefined): session is Session {
  return session !== undefined && (sessionsRevokedAt === undefined || session.signedInAt > sessionsRevokedAt);
}

/**
 * Whether a remembered consent may stand in for the page for `client` returning to `redirectUri`. A client that
 * cannot authenticate and returns to a loopback or private-use URI proves nothing about who it is: any local
 * process can use its `client_id` with its own port and PKCE pair, so such a client always sees the page
 * (RFC 8252 §8.6; CVE-2023-34246). Otherwise only a redirect the client owns counts: an https URI of a confidential
 * client or of a metadata document, or a client the operator declared.
 * @see https://www.rfc-editor.org/rfc/rfc8252#section-8.6
 */
export function consentRememberable(client: Pick<ClientRecord, "kind" | "tokenEndpointAuthMethod">, redirectUri: string): boolean {
  const url = new URL(redirectUri);
  const https = url.protocol === "https:";
  const native = !https && (url.protocol !== "http:" || isLoopbackHost(url.hostname));
  if (client.tokenEndpointAuthMethod === "none" && native) return false;
  if (client.kind === "static") return true;
  return https && (client.tokenEndpointAuthMethod !== "none" || client.kind === "cimd");
}

/**
 * What GET /authorize does: show the consent page, or go on as the signed-in person because they approved this
 * client, redirect host and every requested scope before, and the client is one a remembered consent may stand in
 * for (`consentRememberable`). `prompt=consent` always shows the page; `prompt=login` still skips it but signs in
 * upstream again.
 * @see https://openid.net/specs/openid-connect-core-1_0.html#AuthRequest (prompt)
 */
export function consentStep(input: {
  prompt: readonly string[];
  signedIn: boolean;
  approved: boolean;
  client: Pick<ClientRecord, "kind" | "tokenEndpointAuthMethod">;
  redirectUri: string;
}): "show" | "skip" {
  if (input.prompt.includes("consent")) return "show";
  if (!consentRememberable(input.client, input.redirectUri)) return "show";
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
