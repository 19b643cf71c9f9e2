// Records security events from a request without delaying its response; a failed write is logged, never thrown.
import type { Context } from "hono";
import { recordEvent, type SecurityEvent } from "../db/events";
import type { AppEnv } from "../env";

/** Appends `event` to D1 `events` in the background (`waitUntil`), tagged with the request's correlation id. */
export function audit(c: Context<AppEnv>, event: SecurityEvent): void {
  const detail = { ...event.detail, correlation_id: c.var.correlationId };
  c.executionCtx.waitUntil(
    recordEvent(c.env.DB, { ...event, detail }).catch((err: unknown) =>
      console.error(JSON.stringify({ event: "event.write_failed", type: event.type, error: err instanceof Error ? err.name : "unknown" })),
    ),
  );
}
