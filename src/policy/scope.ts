// Scope policy: what a client may ask for at /authorize and what it is granted (RFC 6749 §3.3).
import type { Config } from "../config";

/** Asks for a refresh token (issue 4 issues them); accepted on top of the configured scopes. @see OIDC Core §11 */
export const OFFLINE_ACCESS = "offline_access";

/** `scope-token = 1*( %x21 / %x23-5B / %x5D-7E )`. @see https://www.rfc-editor.org/rfc/rfc6749#section-3.3 */
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/;

export type ScopeResult = { ok: true; scopes: string[] } | { ok: false; unknown: string[] };

/**
 * The granted scopes for a requested `scope` parameter: absent or empty → the default scopes; otherwise every
 * token must be a configured scope or `offline_access`. Duplicates are dropped; the order is the configuration's,
 * `offline_access` last, so the same request always yields the same string.
 *
 * `offline_access` alone asks for refresh, not for less access: it gets the default scopes too. claude.ai joins an
 * empty scope list with it and sends `scope= offline_access` (anthropics/claude-ai-mcp#453); granting it alone would
 * mint tokens /mcp refuses. The grant is exactly what an absent `scope` gives, so nothing widens.
 * Scopes a client registered by DCR (`scope`) do not bound what it may ask for here: Claude Code registers a narrow
 * `scope` and asks /authorize for more (issue 19); SCOPES and the person's consent bound it.
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-3.3
 */
export function narrowScope(config: Config, requested: string | undefined): ScopeResult {
  const tokens = (requested ?? "").split(" ").filter(Boolean);
  if (tokens.length === 0) return { ok: true, scopes: [...config.defaultScopes] };
  const known = new Set([...config.scopes, OFFLINE_ACCESS]);
  const unknown = tokens.filter((t) => !SCOPE_TOKEN.test(t) || !known.has(t));
  if (unknown.length > 0) return { ok: false, unknown: [...new Set(unknown)] };
  const asked = new Set(tokens.every((t) => t === OFFLINE_ACCESS) ? [...config.defaultScopes, OFFLINE_ACCESS] : tokens);
  return { ok: true, scopes: [...config.scopes, OFFLINE_ACCESS].filter((s) => asked.has(s)) };
}

/** The scopes an access token carries: the granted ones without `offline_access`, which is about refresh, not the resource. */
export function accessTokenScopes(granted: string): string[] {
  return granted.split(" ").filter((s) => s && s !== OFFLINE_ACCESS);
}
