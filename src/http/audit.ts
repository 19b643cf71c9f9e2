// Records security events from a request without delaying its response: `audit` collects them, and `auditTrail`
// writes them in one batch once the response is ready, with the request's other writes that need not delay it
// (`writeLater`) and those of the requests finishing with it. A handler that awaits a write of its own sends it with
// the events that record it and the events so far (`writeWithEvents`): one D1 round trip instead of two. A failed
// background write is logged, never thrown.
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import { eventInserts, type SecurityEvent } from "../db/events";
import { commitGroup, flushWaiting } from "../db/group-commit";
import type { AppEnv, Trail } from "./app-env";

/** Adds `event` to the request's trail, tagged with the request's correlation id. */
export function audit(c: Context<AppEnv>, event: SecurityEvent): void {
  c.get("trail").events.push(tagged(c, event));
}

/** Sends `statement` with the request's events after the response (`waitUntil`): for writes nothing waits on. */
export function writeLater(c: Context<AppEnv>, statement: D1PreparedStatement): void {
  c.get("trail").later.push(statement);
}

/**
 * Runs `statements`, the `events` that record them and the request's events so far in one D1 batch, so the write and
 * its record are stored together or not at all. When it fails, its own events are dropped (what they record did not
 * happen), the earlier ones stay in the trail for the write after the response, and the error is thrown.
 */
export async function writeWithEvents(c: Context<AppEnv>, statements: D1PreparedStatement[], events: SecurityEvent[]): Promise<void> {
  const trail = c.get("trail");
  const from = trail.written;
  const own = events.map((e) => tagged(c, e));
  trail.written = trail.events.length;
  try {
    await c.env.DB.batch([...statements, ...eventInserts(c.env.DB, [...trail.events.slice(from, trail.written), ...own])]);
  } catch (err) {
    trail.written = from;
    throw err;
  }
  markWritten(c, own);
}

/**
 * Keeps `events` (tagged) in the request's trail as already written by a batch of the caller's, for the request's log
 * line to name them; for events written with a read on condition of it, only when the condition held.
 */
export function markWritten(c: Context<AppEnv>, events: SecurityEvent[]): void {
  const trail = c.get("trail");
  trail.events.splice(trail.written, 0, ...events);
  trail.written += events.length;
}

/** `event` as the trail stores it: tagged with the request's correlation id. */
export function tagged(c: Context<AppEnv>, event: SecurityEvent): SecurityEvent {
  return { ...event, detail: { ...event.detail, correlation_id: c.get("correlationId") } };
}

/**
 * The requests of this isolate inside the trail, by when they began: while others are under way, a finished
 * request's writes wait for theirs. One its client cancelled may never finish (workerd drops a cancelled request's
 * continuations), so after UNDER_WAY_MAX_MS it no longer counts.
 */
const underWay = new Map<object, number>();
const UNDER_WAY_MAX_MS = 30_000;

function othersUnderWay(now: number): boolean {
  for (const [request, began] of underWay) if (now - began > UNDER_WAY_MAX_MS) underWay.delete(request);
  return underWay.size > 0;
}

/**
 * Writes the request's events not yet written, and its later writes, to D1 in the background (`waitUntil`), errors
 * included, in one batch with those of the requests finishing with it (src/db/group-commit.ts).
 */
export const auditTrail = createMiddleware<AppEnv>(async (c, next) => {
  const trail: Trail = { events: [], written: 0, later: [] };
  c.set("trail", trail);
  underWay.set(trail, Date.now());
  try {
    await next();
  } finally {
    underWay.delete(trail);
  }
  const others = othersUnderWay(Date.now());
  const events = trail.events.slice(trail.written);
  if (events.length === 0 && trail.later.length === 0) {
    // The last request under way writes what waits for it, or nothing would until the window passed.
    const waiting = others ? undefined : flushWaiting(c.env.DB);
    if (waiting) c.executionCtx.waitUntil(waiting);
    return;
  }
  const writes = trail.later.length;
  const failed = (err: unknown) =>
    console.error(JSON.stringify({ event: "event.write_failed", types: events.map((e) => e.type).join(","), writes, error: err instanceof Error ? err.name : "unknown" }));
  c.executionCtx.waitUntil(commitGroup(c.env.DB, { statements: [...trail.later, ...eventInserts(c.env.DB, events)], failed }, others));
});
