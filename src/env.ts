// Bindings and variables the Worker receives, and the one Hono environment type every module shares.
import type { Config } from "./config";
import type { SecurityEvent } from "./db/events";
import type { Grant } from "./durable/grant";
import type { KeyRing } from "./durable/key-ring";

/** Wrangler bindings (wrangler.toml) plus `[vars]` and secrets, raw until `loadConfig` parses them. */
export interface Env {
  DB: D1Database;
  GRANTS: DurableObjectNamespace<Grant>;
  KEYS: DurableObjectNamespace<KeyRing>;
  /** Rate limits (wrangler.toml `[[ratelimits]]`, src/oauth/rate-limit.ts); absent → unlimited. */
  RATE_LIMIT_REGISTER?: RateLimit;
  RATE_LIMIT_BROWSER?: RateLimit;
  RATE_LIMIT_SOURCE?: RateLimit;
  RATE_LIMIT_TOKEN?: RateLimit;
  RATE_LIMIT_MCP?: RateLimit;
  PUBLIC_URL?: string;
  UPSTREAM_ISSUER?: string;
  UPSTREAM_CLIENT_ID?: string;
  UPSTREAM_CLIENT_SECRET?: string;
  UPSTREAM_SCOPES?: string;
  UPSTREAM_ORG_ID_CLAIM?: string;
  UPSTREAM_ORG_NAME_CLAIM?: string;
  UPSTREAMS?: string;
  ALLOW_UNVERIFIED_EMAIL?: string;
  DEV_IDP?: string;
  REQUIRE_AUTH?: string;
  RATE_LIMITS?: string;
  SCOPES?: string;
  EMAIL_POLICY?: string;
  ALLOWED_EMAIL_DOMAINS?: string;
  ACCESS_TOKEN_TTL?: string;
  REFRESH_IDLE_TTL?: string;
  REFRESH_MAX_TTL?: string;
  REFRESH_REPLAY_WINDOW?: string;
  LIVENESS_CACHE_TTL?: string;
  KEY_ROTATION_DAYS?: string;
  SERVICE_NAME?: string;
  LOGO_URL?: string;
  PRIVACY_URL?: string;
  SIGNUP_URL?: string;
  CAPTURE_WEBHOOK_URL?: string;
  CAPTURE_WEBHOOK_SECRET?: string;
  ADMIN_TOKEN?: string;
  STATIC_CLIENTS?: string;
  MAX_DCR_CLIENTS?: string;
  MAX_DCR_CLIENTS_PER_SOURCE?: string;
  EVENT_RETENTION_DAYS?: string;
  UPSTREAM_TOKEN_KEY?: string;
}

/** The verified caller of `/mcp`, attached by the bearer middleware. */
export interface Caller {
  subject: string;
  clientId: string;
  scopes: string[];
  grantId: string;
  email?: string;
  emailVerified?: boolean;
  domain?: string;
  orgId?: string;
  orgName?: string;
}

export interface AppEnv {
  Bindings: Env;
  Variables: {
    config: Config;
    correlationId: string;
    caller?: Caller;
    /** Security events of this request, written in one batch after the response (src/oauth/audit.ts). */
    events: SecurityEvent[];
    /** Why the request failed, for its log line (src/request-log.ts): the OAuth error code and the failed check. */
    outcome?: { error: string; reason?: string };
  };
}
