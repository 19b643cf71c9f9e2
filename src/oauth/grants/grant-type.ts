// The contract every grant type module fulfils; src/oauth/token.ts dispatches on `grantType`.
import type { Context } from "hono";
import type { ClientRecord } from "../../db/clients";
import type { AppEnv } from "../../http/app-env";

/** The successful token response. @see https://www.rfc-editor.org/rfc/rfc6749#section-5.1 */
export interface TokenResponse {
  access_token: string;
  token_type: "Bearer";
  expires_in: number;
  scope: string;
  refresh_token?: string;
}

/** One grant type: its `grant_type` value and the handler that turns an authenticated request into tokens. */
export interface GrantType {
  grantType: string;
  /** The grant id inside the credential `form` presents, unverified, or `undefined` when it does not parse (the rate-limit key). */
  presentedGrant(form: Record<string, string>): string | undefined;
  /** `form` is the whole (duplicate-free) body; `client` is already authenticated and allowed this grant type. */
  handle(c: Context<AppEnv>, form: Record<string, string>, client: ClientRecord): Promise<TokenResponse>;
}
