// Federation to the upstream identity provider with oauth4webapi: authorization URL, code exchange, ID token checks.
import type { Config, UpstreamProvider } from "../config";
import type { Env } from "../env";

/** The verified identity of the person who signed in upstream. */
export interface UpstreamIdentity {
  provider: string;
  subject: string;
  email?: string;
  emailVerified: boolean;
  /** Lower-cased domain part of `email`. */
  domain?: string;
  name?: string;
  orgId?: string;
  orgName?: string;
}

/** Upstream tokens kept (encrypted) in the grant for later use. */
export interface UpstreamTokens {
  accessToken: string;
  refreshToken?: string;
  expiresAt?: number;
  idToken?: string;
}

/** Secrets of the upstream leg, generated at approval and kept in the pending grant. */
export interface UpstreamLeg {
  state: string;
  nonce: string;
  codeVerifier: string;
  /** Gatehouse's own callback URL: `PUBLIC_URL/callback`. */
  redirectUri: string;
}

export type UpstreamLoginResult =
  | { ok: true; identity: UpstreamIdentity; tokens: UpstreamTokens }
  | {
      ok: false;
      /** `access_denied`: the person declined upstream; `email_unverified`; `upstream_error`: anything else. */
      error: "access_denied" | "email_unverified" | "upstream_error";
      description: string;
      reason: string;
    };

/** The upstream authorization URL to send the browser to (code + PKCE S256 + state + nonce). */
export async function upstreamAuthorizationUrl(_env: Env, _config: Config, _provider: UpstreamProvider, _leg: UpstreamLeg, _options?: { prompt?: string }): Promise<URL> {
  throw new Error("not implemented: issue #3");
}

/** Completes the upstream leg from the callback URL: error handling, code exchange, ID token / userinfo, claim mapping. */
export async function completeUpstreamLogin(_env: Env, _config: Config, _provider: UpstreamProvider, _callbackUrl: URL, _leg: UpstreamLeg): Promise<UpstreamLoginResult> {
  throw new Error("not implemented: issue #3");
}
