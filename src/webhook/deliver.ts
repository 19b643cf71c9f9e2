// At-least-once delivery of outbox rows to CAPTURE_WEBHOOK_URL: signed POSTs, exponential backoff, dead after 24 h.
import type { Config } from "../config";
import { claimDueOutbox, claimOutbox, markDelivered, markFailed, type OutboxRecord } from "../db/outbox";
import { SIGNATURE_HEADER, signatureHeader } from "./signature";

/** How long one attempt may take. */
const TIMEOUT_MS = 10_000;
/** A claimed row is not picked up again for this long (longer than an attempt), unless its sender records a result. */
const LEASE = 60;
/** Delay after the first failure; doubles on each further failure. */
const FIRST_BACKOFF = 60;
/** Retries stop this long after the event was created: the row is then dead. */
export const DELIVERY_WINDOW = 86_400;

/**
 * When to try again after `attempts` failed attempts (counting the one that just failed), or `undefined` for dead:
 * 1 min, 2 min, 4 min, … after `now`, never later than the end of the 24-hour window, and none once it has passed.
 */
export function nextAttempt(createdAt: number, attempts: number, now: number): number | undefined {
  const deadline = createdAt + DELIVERY_WINDOW;
  if (now >= deadline) return undefined;
  return Math.min(now + FIRST_BACKOFF * 2 ** Math.min(attempts - 1, 20), deadline);
}

export type DeliveryOutcome = "delivered" | "retry" | "dead";

/** One signed attempt at `row`, recording the outcome; never throws for a failing endpoint. */
export async function attemptDelivery(db: D1Database, webhook: NonNullable<Config["captureWebhook"]>, row: OutboxRecord, now = Math.floor(Date.now() / 1000)): Promise<DeliveryOutcome> {
  let error: string | undefined;
  try {
    const res = await fetch(webhook.url, {
      method: "POST",
      headers: { "Content-Type": "application/json", "Gatehouse-Event-Id": row.id, [SIGNATURE_HEADER]: await signatureHeader(webhook.secret, now, row.payload) },
      body: row.payload,
      redirect: "manual",
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    await res.body?.cancel();
    if (res.status < 200 || res.status > 299) error = `HTTP ${res.status}`;
  } catch (err) {
    error = err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError") ? "timeout" : "network error";
  }
  if (error === undefined) {
    await markDelivered(db, row.id, now);
    return "delivered";
  }
  const next = nextAttempt(row.createdAt, row.attempts + 1, now);
  await markFailed(db, row.id, error, next);
  console.warn(JSON.stringify({ event: "webhook.failed", id: row.id, error, attempts: row.attempts + 1, dead: next === undefined }));
  return next === undefined ? "dead" : "retry";
}

/** Sends the outbox row `id` now if it is still pending and due (for `waitUntil` right after it was written). */
export async function deliverNow(db: D1Database, config: Config, id: string, now = Math.floor(Date.now() / 1000)): Promise<DeliveryOutcome | undefined> {
  if (!config.captureWebhook) return undefined;
  try {
    const row = await claimOutbox(db, id, now, now + LEASE);
    return row ? await attemptDelivery(db, config.captureWebhook, row, now) : undefined;
  } catch (err) {
    // The row stays pending: the sweep retries it once the lease ends.
    console.error(JSON.stringify({ event: "webhook.error", id, error: err instanceof Error ? err.name : "unknown" }));
    return undefined;
  }
}

/** Sends up to `limit` due pending rows concurrently; counts of what was delivered and what went dead. */
export async function deliverDue(db: D1Database, config: Config, now: number, limit: number): Promise<{ sent: number; dead: number }> {
  const counts = { sent: 0, dead: 0 };
  if (!config.captureWebhook) return counts;
  const rows = await claimDueOutbox(db, now, now + LEASE, limit);
  const webhook = config.captureWebhook;
  const outcomes = await Promise.allSettled(rows.map((row) => attemptDelivery(db, webhook, row, now)));
  for (const outcome of outcomes) {
    if (outcome.status === "fulfilled" && outcome.value === "delivered") counts.sent++;
    else if (outcome.status === "fulfilled" && outcome.value === "dead") counts.dead++;
    // A failed write leaves its row pending; it is retried once the lease ends.
    else if (outcome.status === "rejected") console.error(JSON.stringify({ event: "webhook.error", error: outcome.reason instanceof Error ? outcome.reason.name : "unknown" }));
  }
  return counts;
}
