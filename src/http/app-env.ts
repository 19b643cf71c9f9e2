// The one Hono environment type every route and middleware shares: bindings and per-request variables.
import type { Context } from "hono";
import type { Config } from "../config";
import type { SecurityEvent } from "../db/events";
import type { RemovedUpstream } from "../durable/vault-state";
import type { Env } from "../env";
import type { OAuthError } from "../errors";
import type { Caller } from "../identity";

export interface AppEnv {
  Bindings: Env;
  Variables: {
    config: Config;
    correlationId: string;
    caller?: Caller;
    /** Security events of this request and the writes that need not delay its response (src/http/audit.ts). */
    trail: Trail;
    /** Why the request failed, for its log line (src/http/request-log.ts): the OAuth error code and the failed check. */
    outcome?: { error: string; reason?: string };
    /** How the mount serving the request renders its errors (src/http/respond.ts). */
    errorFormat?: ErrorFormat;
    /**
     * Revokes tokens taken out of a revoked grant's vault at their providers (RFC 7009); handed down by the app
     * (src/gatehouse.ts) because the upstream layer sits beside this one. Never throws.
     */
    revokeUpstream?: (removed: RemovedUpstream[]) => Promise<void>;
  };
}

/** A request's security events (those before `written` are in D1) and its writes for after the response (src/http/audit.ts). */
export interface Trail {
  events: SecurityEvent[];
  written: number;
  later: D1PreparedStatement[];
}

/** How one mount answers a protocol error, and a crash the client may quote by its reference id. */
export interface ErrorFormat {
  refusal(c: Context<AppEnv>, err: OAuthError): Response | Promise<Response>;
  crash(c: Context<AppEnv>, reference: string): Response | Promise<Response>;
}
