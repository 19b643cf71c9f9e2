// The cron sweep: bounded, idempotent clean-up of expired D1 state and webhook retries. Grant objects expire themselves
// by alarm.
import type { Config } from "./config";
import { countDynamicClients, deleteExpiredMetadataClients, deleteOldestUnusedDynamicClients, deleteStaleDynamicClients } from "./db/clients";
import { deleteEventsBefore } from "./db/events";
import { deleteDeliveredBefore } from "./db/outbox";
import { deleteExpiredGrantIndex } from "./db/grants";
import { closeMissingDays } from "./db/rollups";
import type { Env } from "./env";
import { CIMD_STALE_TTL } from "./policy/cimd";
import { deliverDue } from "./webhook/deliver";

/** Rows deleted per statement, so one run stays within a Worker's limits however much has piled up. */
const BATCH = 500;
/** A dynamically registered client never used for a token this long after registering is removed. */
const UNUSED_CLIENT_TTL = 86_400;
/** A dynamically registered client, or a cached metadata document past its stale period, not used for this long is removed. */
const IDLE_CLIENT_TTL = 90 * 86_400;
/** Share of MAX_DCR_CLIENTS the sweep keeps free, evicting the oldest never-used registrations, so a flood leaves room. */
const DCR_HEADROOM = 0.1;
/** Webhook retries per run: each may take up to 10 s, so a backlog drains over several runs. */
const WEBHOOK_BATCH = 50;
/** Delivered outbox rows are kept this long (for support questions), then deleted. */
const DELIVERED_RETENTION = 7 * 86_400;
/** Closed days whose console figures one run computes at most (src/db/rollups.ts): a fresh deployment catches up on 90 days within the hour. */
const SWEEP_CLOSE_DAYS = 10;

export interface SweepSummary {
  grants: number;
  clients: number;
  clients_evicted: number;
  metadataDocuments: number;
  events: number;
  webhooks_sent: number;
  webhooks_dead: number;
  outbox_deleted: number;
  days_closed: number;
}

/** Runs one sweep and logs a single summary line. */
export async function sweep(env: Env, config: Config, nowMs: number): Promise<SweepSummary> {
  const now = Math.floor(nowMs / 1000);
  const grants = await deleteExpiredGrantIndex(env.DB, now, BATCH);
  const clients = await deleteStaleDynamicClients(env.DB, now, UNUSED_CLIENT_TTL, IDLE_CLIENT_TTL, BATCH);
  const clientsEvicted = await evictUnusedClients(env, config);
  const metadataDocuments = await deleteExpiredMetadataClients(env.DB, now - CIMD_STALE_TTL, now - IDLE_CLIENT_TTL, BATCH);
  const events = await deleteEventsBefore(env.DB, now - config.eventRetentionDays * 86_400, BATCH);
  const webhooks = await deliverDue(env.DB, config, now, WEBHOOK_BATCH);
  const outboxDeleted = await deleteDeliveredBefore(env.DB, now - DELIVERED_RETENTION, BATCH);
  const daysClosed = await closeMissingDays(env.DB, 90, now, SWEEP_CLOSE_DAYS);
  const summary = { grants, clients, clients_evicted: clientsEvicted, metadataDocuments, events, webhooks_sent: webhooks.sent, webhooks_dead: webhooks.dead, outbox_deleted: outboxDeleted, days_closed: daysClosed };
  console.log(JSON.stringify({ event: "sweep.completed", ...summary }));
  return summary;
}

/**
 * Near MAX_DCR_CLIENTS, deletes the oldest registrations never used for a token (up to one batch a run) until the
 * headroom is free again: a flood of registrations then ages out first, and clients in use are never touched.
 */
async function evictUnusedClients(env: Env, config: Config): Promise<number> {
  const keep = Math.floor(config.maxDcrClients * (1 - DCR_HEADROOM));
  const excess = (await countDynamicClients(env.DB)) - keep;
  return deleteOldestUnusedDynamicClients(env.DB, Math.min(excess, BATCH));
}
