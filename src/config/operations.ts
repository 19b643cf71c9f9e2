// Running Gatehouse: the admin token, how long security events are kept, which requests are logged, and the two
// switches that loosen it (RATE_LIMITS=false, REQUIRE_AUTH=false), which are read and warned about only here.
import type { Reader } from "./reader";

/** Which requests write their JSON line (`REQUEST_LOG`): see src/http/request-log.ts. */
export const REQUEST_LOG_MODES = ["failures", "all", "off"] as const;
export type RequestLogMode = (typeof REQUEST_LOG_MODES)[number];

export interface Operations {
  adminToken?: string;
  /** Days security events are kept (`EVENT_RETENTION_DAYS`); the sweep deletes older ones. */
  eventRetentionDays: number;
  /** `RATE_LIMITS=false` turns the rate-limit bindings off (load tests); on by default. */
  rateLimits: boolean;
  requireAuth: boolean;
  requestLog: RequestLogMode;
}

export function parseOperations(read: Reader): Operations {
  const adminToken = read.text("ADMIN_TOKEN");
  if (adminToken !== undefined && adminToken.length < 32) read.problem("ADMIN_TOKEN", "must be at least 32 characters");
  const eventRetentionDays = read.bounded("EVENT_RETENTION_DAYS", 90, 1, 3650);

  const rateLimits = read.flag("RATE_LIMITS", true);
  if (!rateLimits) read.warn("RATE_LIMITS is false: /register, /authorize, /callback, /token, /revoke, /introspect and /mcp are not rate limited");
  const requireAuth = read.flag("REQUIRE_AUTH", true);
  if (!requireAuth) read.warn("REQUIRE_AUTH is false: anonymous requests reach /mcp");
  const requestLog = read.choice("REQUEST_LOG", REQUEST_LOG_MODES, "failures");
  return { adminToken, eventRetentionDays, rateLimits, requireAuth, requestLog };
}
