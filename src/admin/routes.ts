// The admin API under /admin/api: users (search, CSV export, block), feedback, usage per day × user × server × tool (and its export), clients and their blocks, grants, the security event log
// and dead webhooks.
import { type Context, Hono } from "hono";
import * as z from "zod";
import { blockClient, type ClientBlock, type ClientRecord, deleteClient, listClientBlocks, listClients, unblockClient } from "../db/clients";
import { forgetClientConsents } from "../db/consents";
import { listEvents, type StoredEvent } from "../db/events";
import { getGrantIndex, type GrantListing, listUserGrants } from "../db/grants";
import { getOutbox, listDeadOutbox, type OutboxRecord, resurrectOutbox } from "../db/outbox";
import { listUsage, type UsageFilter, type UsageKey, type UsageRecord } from "../db/usage";
import { getUser, listUsers, type UserFilter, type UserRecord } from "../db/users";
import { type FeedbackEntry, listFeedback } from "../db/feedback";
import { blockPerson, unblockPerson } from "./actions";
import type { AppEnv } from "../http/app-env";
import { audit } from "../http/audit";
import { identityRecord } from "../identity";
import { OAuthError } from "../errors";
import { logRequests } from "../http/request-log";
import { NO_STORE, oauthErrors } from "../http/respond";
import { adminAuth } from "./auth";
import { type CsvValue, csvRow } from "./csv";
import { cursorParam, limitParam, page, readQuery, textParam, timeIdKey, timeParam } from "./query";
import { deliverNow } from "../webhook/deliver";
import { revokeGrant, revokeLiveGrants } from "../http/revoke-grants";

export const adminRoutes = new Hono<AppEnv>();

adminRoutes.use("*", oauthErrors, logRequests, adminAuth);

const userFilters = { email: textParam(320), domain: textParam(253), org: textParam(256) };
const usersQuery = z.object({ ...userFilters, limit: limitParam, cursor: cursorParam(timeIdKey) });
const csvQuery = z.object(userFilters);
const pageQuery = z.object({ limit: limitParam, cursor: cursorParam(timeIdKey) });
const eventsQuery = z.object({
  type: textParam(64),
  client_id: textParam(2048),
  grant_id: textParam(128),
  user_id: textParam(128),
  since: timeParam,
  until: timeParam,
  limit: limitParam,
  cursor: cursorParam(z.tuple([z.number().int().positive()])),
});

const dayParam = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/)
  .optional();
export const usageFilters = { from: dayParam, to: dayParam, user: textParam(128), server: textParam(256), tool: textParam(128), domain: textParam(253), org: textParam(256) };
export const usageKey = z.tuple([z.string().max(10), z.string().max(128), z.string().max(256), z.string().max(128)]);
const usageQuery = z.object({ ...usageFilters, limit: limitParam, cursor: cursorParam(usageKey) });
const usageCsvQuery = z.object(usageFilters);

/** Rows read per D1 query while streaming the CSV export. */
const CSV_PAGE = 500;

const USER_COLUMNS = ["id", "provider", "subject", "email", "email_verified", "domain", "org_id", "org_name", "name", "first_seen_at", "last_seen_at", "request_count"] as const;

function userJson(u: UserRecord) {
  return {
    id: u.userId,
    provider: u.provider,
    subject: u.subject,
    ...identityRecord(u),
    first_seen_at: u.firstSeenAt,
    last_seen_at: u.lastSeenAt,
    request_count: u.requestCount,
  } satisfies Record<(typeof USER_COLUMNS)[number], string | number | boolean | null>;
}

/** A client without its secret hash (listClients never reads it; this never writes it). */
function clientJson(client: ClientRecord) {
  return {
    client_id: client.clientId,
    kind: client.kind,
    client_name: client.clientName,
    redirect_uris: client.redirectUris,
    grant_types: client.grantTypes,
    token_endpoint_auth_method: client.tokenEndpointAuthMethod,
    application_type: client.applicationType,
    scope: client.scope ?? null,
    metadata: client.metadata,
    created_at: client.createdAt,
    last_used_at: client.lastUsedAt ?? null,
    fetched_at: client.fetchedAt ?? null,
    fresh_until: client.freshUntil ?? null,
  };
}

const USAGE_COLUMNS = ["day", "user_id", "email", "domain", "org_id", "org_name", "server", "tool", "requests", "tool_calls", "last_used_at"] as const;

/** A usage row; `tool` is null for the requests that called no tool. */
function usageJson(u: UsageRecord) {
  return {
    day: u.day,
    user_id: u.userId,
    email: u.email ?? null,
    domain: u.domain ?? null,
    org_id: u.orgId ?? null,
    org_name: u.orgName ?? null,
    server: u.server,
    tool: u.tool === "" ? null : u.tool,
    requests: u.requests,
    tool_calls: u.toolCalls,
    last_used_at: u.lastUsedAt,
  } satisfies Record<(typeof USAGE_COLUMNS)[number], string | number | null>;
}

const usageKeyOf = (u: UsageRecord): UsageKey => [u.day, u.userId, u.server, u.tool];

function blockJson(b: ClientBlock) {
  return { client_id: b.clientId, blocked_at: b.blockedAt };
}

function grantJson(g: GrantListing) {
  return { id: g.id, user_id: g.userId, client_id: g.clientId, scope: g.scope, resource: g.resource ?? null, status: g.status, created_at: g.createdAt, expires_at: g.expiresAt, revoked_at: g.revokedAt ?? null };
}

function eventJson(e: StoredEvent) {
  return { id: e.id, type: e.type, at: e.at, grant_id: e.grantId ?? null, client_id: e.clientId ?? null, user_id: e.userId ?? null, detail: e.detail ?? null };
}

/** A dead webhook delivery, with the event it carries. */
function webhookJson(w: OutboxRecord) {
  return { id: w.id, type: w.type, status: w.status, attempts: w.attempts, last_error: w.lastError ?? null, created_at: w.createdAt, event: JSON.parse(w.payload) as unknown };
}

adminRoutes.get("/users", async (c) => {
  const { limit, cursor, ...filter } = readQuery(c, usersQuery);
  const rows = await listUsers(c.env.DB, filter, limit + 1, cursor);
  // `blocked_at` in the JSON listing only: the CSV's columns stay as documented.
  return c.json(page(rows, limit, (u) => [u.firstSeenAt, u.userId], (u) => ({ ...userJson(u), blocked_at: u.blockedAt ?? null })), 200, NO_STORE);
});

adminRoutes.get("/users.csv", (c) => {
  const filter: UserFilter = readQuery(c, csvQuery);
  const db = c.env.DB;
  return csvExport(c, "gatehouse-users.csv", USER_COLUMNS, (after?: readonly [number, string]) => listUsers(db, filter, CSV_PAGE, after), (u) => [u.firstSeenAt, u.userId] as const, userJson);
});

adminRoutes.get("/usage", async (c) => {
  const { limit, cursor, ...filter } = readQuery(c, usageQuery);
  const rows = await listUsage(c.env.DB, filter, limit + 1, cursor);
  return c.json(page(rows, limit, usageKeyOf, usageJson), 200, NO_STORE);
});

adminRoutes.get("/usage.csv", (c) => usageCsv(c, readQuery(c, usageCsvQuery)));

/** The usage rows matching `filter` as a CSV download; the console names the file after the organisation or domain. */
export function usageCsv(c: Context<AppEnv>, filter: UsageFilter, named = false): Response {
  const db = c.env.DB;
  const name = named ? (filter.org ?? filter.domain) : undefined;
  const filename = name ? `gatehouse-usage-${name.replace(/[^A-Za-z0-9.-]+/g, "_").slice(0, 64)}.csv` : "gatehouse-usage.csv";
  return csvExport(c, filename, USAGE_COLUMNS, (after?: UsageKey) => listUsage(db, filter, CSV_PAGE, after), usageKeyOf, usageJson);
}

/** Streams every row `read` pages through, CSV_PAGE rows per D1 read, so an export of any size stays within memory limits. */
function csvExport<Row, Key, Columns extends readonly string[]>(
  c: Context<AppEnv>,
  filename: string,
  columns: Columns,
  read: (after?: Key) => Promise<Row[]>,
  key: (row: Row) => Key,
  json: (row: Row) => Record<Columns[number], CsvValue>,
): Response {
  const encoder = new TextEncoder();
  let after: Key | undefined;
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(encoder.encode(csvRow(columns)));
    },
    async pull(controller) {
      try {
        const rows = await read(after);
        const last = rows.at(-1);
        if (last !== undefined) {
          after = key(last);
          controller.enqueue(encoder.encode(rows.map((row) => csvRow(columns.map((k: Columns[number]) => json(row)[k]))).join("")));
        }
        if (rows.length < CSV_PAGE) controller.close();
      } catch (err) {
        // Headers are sent: the only signal left is a truncated download, so log it for the operator.
        console.error(JSON.stringify({ event: "admin.export_failed", error: err instanceof Error ? err.name : "unknown" }));
        controller.error(err);
      }
    },
  });
  return c.body(stream, 200, {
    ...NO_STORE,
    "Content-Type": "text/csv; charset=utf-8",
    "Content-Disposition": `attachment; filename="${filename}"`,
  });
}

adminRoutes.get("/users/:id/grants", async (c) => {
  const { limit, cursor } = readQuery(c, pageQuery);
  const rows = await listUserGrants(c.env.DB, c.req.param("id"), limit + 1, cursor);
  return c.json(page(rows, limit, (g) => [g.createdAt, g.id], grantJson), 200, NO_STORE);
});

adminRoutes.post("/users/:id/grants/revoke", async (c) => {
  readQuery(c, z.object({}));
  const { revoked, more } = await revokeLiveGrants(c, { userId: c.req.param("id") }, "revoked by an administrator (user)");
  return c.json({ grants_revoked: revoked, more }, 200, NO_STORE);
});

adminRoutes.delete("/grants/:id", async (c) => {
  readQuery(c, z.object({}));
  const id = c.req.param("id");
  const grant = await getGrantIndex(c.env.DB, id);
  if (!grant) throw new OAuthError("invalid_request", "no such grant", { status: 404, reason: "unknown grant id" });
  const wasLive = await revokeGrant(c, grant, "revoked by an administrator");
  return c.json({ revoked: id, was_live: wasLive }, 200, NO_STORE);
});

adminRoutes.get("/clients", async (c) => {
  const { limit, cursor } = readQuery(c, pageQuery);
  const rows = await listClients(c.env.DB, limit + 1, cursor);
  return c.json(page(rows, limit, (r) => [r.createdAt, r.clientId], clientJson), 200, NO_STORE);
});

/**
 * Deletes the client first, so no new grant can begin with it (other isolates may serve their cached copy for up to
 * CLIENT_CACHE_MS), then revokes its live grants, so no token of it keeps working. A client already deleted but with
 * grants left (over BULK_LIMIT, or deleted by the sweep) is not a 404: calling again finishes the job.
 */
adminRoutes.delete("/clients/:id", async (c) => {
  readQuery(c, z.object({}));
  const clientId = c.req.param("id");
  const deleted = await deleteClient(c.env.DB, clientId);
  if (deleted) audit(c, { type: "client.deleted", clientId, detail: { by: "admin" } });
  const { found, revoked, more } = await revokeLiveGrants(c, { clientId }, "client deleted by an administrator");
  if (!deleted && found === 0) throw new OAuthError("invalid_request", "no such client", { status: 404, reason: "unknown client id" });
  return c.json({ deleted: clientId, grants_revoked: revoked, more }, 200, NO_STORE);
});

/** A client_id to block: /authorize refuses longer ones before any lookup, so none longer can need a block. */
function blockableId(clientId: string): string {
  if (clientId.length > 2000) throw new OAuthError("invalid_request", "the client id is longer than 2000 characters");
  return clientId;
}

adminRoutes.get("/client-blocks", async (c) => {
  const { limit, cursor } = readQuery(c, pageQuery);
  const rows = await listClientBlocks(c.env.DB, limit + 1, cursor);
  return c.json(page(rows, limit, (b) => [b.blockedAt, b.clientId], blockJson), 200, NO_STORE);
});

/**
 * Blocks a client_id, stored or not, so a metadata document URL can be blocked before Gatehouse ever fetched it:
 * every client lookup refuses it before any fetch (at once in this isolate, within CLIENT_CACHE_MS in others). Then
 * its live grants are revoked and its consents forgotten, so unblocking it later skips no consent page. Blocking
 * again is harmless and finishes the revocation when `more` was true.
 */
adminRoutes.put("/clients/:id/block", async (c) => {
  readQuery(c, z.object({}));
  const clientId = blockableId(c.req.param("id"));
  if (await blockClient(c.env.DB, clientId, Math.floor(Date.now() / 1000))) audit(c, { type: "client.blocked", clientId, detail: { by: "admin" } });
  await forgetClientConsents(c.env.DB, clientId);
  const { revoked, more } = await revokeLiveGrants(c, { clientId }, "client blocked by an administrator");
  return c.json({ blocked: clientId, grants_revoked: revoked, more }, 200, NO_STORE);
});

/** Lifts a block: the client works again as it is stored, with neither the grants nor the consents the block ended. */
adminRoutes.delete("/clients/:id/block", async (c) => {
  readQuery(c, z.object({}));
  const clientId = c.req.param("id");
  if (!(await unblockClient(c.env.DB, clientId))) throw new OAuthError("invalid_request", "the client is not blocked", { status: 404, reason: "no block for the client id" });
  audit(c, { type: "client.unblocked", clientId, detail: { by: "admin" } });
  return c.json({ unblocked: clientId }, 200, NO_STORE);
});

adminRoutes.get("/events", async (c) => {
  const { limit, cursor, client_id, grant_id, user_id, ...rest } = readQuery(c, eventsQuery);
  const rows = await listEvents(c.env.DB, { ...rest, clientId: client_id, grantId: grant_id, userId: user_id }, limit + 1, cursor?.[0]);
  return c.json(page(rows, limit, (e) => [e.id], eventJson), 200, NO_STORE);
});

adminRoutes.get("/webhooks/dead", async (c) => {
  const { limit, cursor } = readQuery(c, pageQuery);
  const rows = await listDeadOutbox(c.env.DB, limit + 1, cursor);
  return c.json(page(rows, limit, (w) => [w.createdAt, w.id], webhookJson), 200, NO_STORE);
});

/** Sets a dead delivery back to pending, due now, and attempts it in the background; failing again, it is dead again. */
adminRoutes.post("/webhooks/:id/retry", async (c) => {
  readQuery(c, z.object({}));
  const id = c.req.param("id");
  const now = Math.floor(Date.now() / 1000);
  if (!(await resurrectOutbox(c.env.DB, id, now))) {
    const row = await getOutbox(c.env.DB, id);
    if (!row) throw new OAuthError("invalid_request", "no such webhook delivery", { status: 404, reason: "unknown outbox id" });
    throw new OAuthError("invalid_request", `the webhook delivery is ${row.status}, not dead`, { status: 409, reason: "outbox row not dead" });
  }
  audit(c, { type: "webhook.retried", detail: { by: "admin", delivery: id } });
  c.executionCtx.waitUntil(deliverNow(c.env.DB, c.get("config"), id, now));
  return c.json({ id, status: "pending" }, 202, NO_STORE);
});

/** A person who exists, by the path's id; else 404. */
async function knownUser(c: Context<AppEnv>): Promise<string> {
  const id = c.req.param("id") ?? "";
  if (!(await getUser(c.env.DB, id))) throw new OAuthError("invalid_request", "no such user", { status: 404, reason: "unknown user id" });
  return id;
}

/** Blocks a person: sign-in refused with a page, sessions ended, live grants revoked, every later refresh `invalid_grant`. */
adminRoutes.put("/users/:id/block", async (c) => {
  readQuery(c, z.object({}));
  const userId = await knownUser(c);
  const { revoked, more } = await blockPerson(c, { by: "admin" }, userId);
  return c.json({ blocked: userId, grants_revoked: revoked, more }, 200, NO_STORE);
});

adminRoutes.delete("/users/:id/block", async (c) => {
  readQuery(c, z.object({}));
  const userId = await knownUser(c);
  if (!(await unblockPerson(c, { by: "admin" }, userId))) throw new OAuthError("invalid_request", "the user is not blocked", { status: 404, reason: "user not blocked" });
  return c.json({ unblocked: userId }, 200, NO_STORE);
});

function feedbackJson(f: FeedbackEntry) {
  return {
    id: f.id,
    created_at: f.createdAt,
    user_id: f.userId,
    email: f.email ?? null,
    domain: f.domain ?? null,
    org_id: f.orgId ?? null,
    org_name: f.orgName ?? null,
    client_id: f.clientId,
    category: f.category,
    message: f.message,
    context: f.context ?? null,
  };
}

const feedbackQuery = z.object({ user: textParam(128), limit: limitParam, cursor: cursorParam(timeIdKey) });

/** What people sent with `submit_feedback`, newest first. */
adminRoutes.get("/feedback", async (c) => {
  const { limit, cursor, user } = readQuery(c, feedbackQuery);
  const rows = await listFeedback(c.env.DB, { userId: user }, limit + 1, cursor);
  return c.json(page(rows, limit, (f) => [f.createdAt, f.id], feedbackJson), 200, NO_STORE);
});
