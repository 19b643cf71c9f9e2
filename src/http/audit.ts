// Records security events from a request without delaying its response: `audit` collects them, and `auditTrail`
// writes them in one batch once the response is ready. A failed write is logged, never thrown.
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import { recordEvents, type SecurityEvent } from "../db/events";
import type { AppEnv } from "./app-env";

/** Adds `event` to the request's trail, tagged with the request's correlation id. */
export function audit(c: Context<AppEnv>, event: SecurityEvent): void {
  c.get("events").push({ ...event, detail: { ...event.detail, correlation_id: c.get("correlationId") } });
}

/** Writes the request's events to D1 `events` in the background (`waitUntil`), errors included. */
export const auditTrail = createMiddleware<AppEnv>(async (c, next) => {
  const events: SecurityEvent[] = [];
  c.set("events", events);
  await next();
  if (events.length === 0) return;
  c.executionCtx.waitUntil(
    recordEvents(c.env.DB, events).catch((err: unknown) =>
      console.error(JSON.stringify({ event: "event.write_failed", types: events.map((e) => e.type).join(","), error: err instanceof Error ? err.name : "unknown" })),
    ),
  );
});
