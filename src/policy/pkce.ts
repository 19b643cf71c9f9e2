// PKCE (RFC 7636) as Gatehouse requires it: S256 only, verifier and challenge syntax, and the S256 transform.
import { sha256 } from "../crypto";

/** `code_verifier = 43*128unreserved`. @see https://www.rfc-editor.org/rfc/rfc7636#section-4.1 */
export const CODE_VERIFIER = /^[A-Za-z0-9._~-]{43,128}$/;

/** `code_challenge = 43*128unreserved`. @see https://www.rfc-editor.org/rfc/rfc7636#section-4.2 */
export const CODE_CHALLENGE = /^[A-Za-z0-9._~-]{43,128}$/;

/** The only method accepted: `plain` would let a stolen code be redeemed by anyone who saw the request. @see OAuth 2.1 §4.1.1 */
export const PKCE_METHOD = "S256";

/** `BASE64URL(SHA256(ASCII(code_verifier)))`, the challenge a verifier answers. @see https://www.rfc-editor.org/rfc/rfc7636#section-4.6 */
export function pkceS256(codeVerifier: string): Promise<string> {
  return sha256(codeVerifier);
}
