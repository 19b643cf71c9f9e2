// Client authentication at /token, /revoke and /introspect (RFC 6749 §2.3, OAuth 2.1 §2.4).
import type { Context } from "hono";
import type { ClientRecord } from "../db/clients";
import type { AppEnv } from "../env";

/**
 * Authenticates the client of a form request by its registered method (`none`, `client_secret_basic`,
 * `client_secret_post`); throws `OAuthError("invalid_client")` (401) on any mismatch.
 */
export async function authenticateClient(_c: Context<AppEnv>, _form: Record<string, string>): Promise<ClientRecord> {
  throw new Error("not implemented: issue #2");
}
