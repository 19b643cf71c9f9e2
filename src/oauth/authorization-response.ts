// The redirect back to the client at the end of an authorization request, success or error, always with `iss`.
import type { OAuthError } from "../errors";

/**
 * `redirect_uri` with the response parameters added to its query (keeping any query it already has) and `iss`
 * (RFC 9207), which lets the client detect a mix-up between authorization servers.
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.1.2
 * @see https://www.rfc-editor.org/rfc/rfc9207#section-2
 */
export function authorizationResponseUrl(redirectUri: string, issuer: string, params: Record<string, string | undefined>): string {
  const url = new URL(redirectUri);
  for (const [key, value] of Object.entries(params)) if (value !== undefined) url.searchParams.append(key, value);
  url.searchParams.append("iss", issuer);
  return url.href;
}

/** The error response: `error`, `error_description`, `state` when the request had one, and `iss`. @see RFC 6749 §4.1.2.1 */
export function authorizationErrorUrl(redirectUri: string, issuer: string, error: OAuthError, state: string | undefined): string {
  return authorizationResponseUrl(redirectUri, issuer, { error: error.code, error_description: error.description, state });
}
