// The admin console at /admin: server-rendered pages over the same D1 tables as the admin API, signed in through the
// identity provider (src/admin/console-auth.ts). Reads are GETs; every change is a CSRF- and origin-checked form POST
// answered with a redirect back (POST/redirect/GET), recorded as an event naming the administrator.
import { type Context, Hono, type MiddlewareHandler } from "hono";
import * as z from "zod";
import { type ClientRecord, getClient, listClientBlocks, listClients } from "../db/clients";
import { listConnectedApps } from "../db/consents";
import { EVENT_TYPES, listEvents } from "../db/events";
import { listFeedback } from "../db/feedback";
import { clientGrantStats, listUserGrants } from "../db/grants";
import { getOutbox, listDeadOutbox, listPendingOutbox, resurrectOutbox } from "../db/outbox";
import { listUsage, personUsage } from "../db/usage";
import { getUser, listUsers } from "../db/users";
import { PageError } from "../errors";
import type { AppEnv } from "../http/app-env";
import { audit } from "../http/audit";
import { csrfToken, sameOrigin } from "../http/csrf";
import { browserPageHeaders } from "../http/page-headers";
import { limitPage } from "../http/rate-limit";
import { logRequests } from "../http/request-log";
import { pageErrors } from "../http/respond";
import { ConsoleRefused, ConsoleSignIn } from "../ui/admin/sign-in";
import { ClientsPage, EventsPage, FeedbackPage, UsagePage, WebhooksPage } from "../ui/admin/lists";
import { Overview } from "../ui/admin/overview";
import { overview } from "./overview";
import { PeoplePage, PersonPage } from "../ui/admin/people";
import { deliverNow } from "../webhook/deliver";
import { blockClientNow, blockPerson, deleteClientNow, revokePersonGrant, signOutPerson, unblockClientNow, unblockPerson } from "./actions";
import { beginConsoleSignIn, consoleForm, consoleVisitor, endConsoleSession, finishConsoleSignIn, oneField, type Visitor } from "./console-auth";
import { cursorParam, encodeCursor, readPageQuery, textParam, timeIdKey, timeParam } from "./query";
import { usageCsv, usageFilters, usageKey } from "./routes";

export const consoleRoutes = new Hono<AppEnv>();

/** Without ADMIN_EMAILS, ADMIN_DOMAINS or ADMIN_GROUPS the console does not exist. */
const consoleOn: MiddlewareHandler<AppEnv> = async (c, next) => {
  if (!c.get("config").admin) return c.json({ error: "not_found", error_description: "no such endpoint" }, 404);
  const limited = await limitPage(c);
  if (limited) return limited;
  await next();
};

// Listed paths, not "*": /admin/api belongs to the bearer API and its own error format.
for (const path of ["/", "/sign-in", "/callback", "/sign-out", "/people", "/people/*", "/clients", "/clients/*", "/events", "/webhooks", "/webhooks/*", "/feedback", "/usage", "/usage.csv"]) {
  consoleRoutes.use(path, pageErrors, logRequests, browserPageHeaders, sameOrigin, consoleOn);
}

type Admin = Extract<Visitor, { kind: "admin" }>;

/** The administrator at this GET, or the page to show instead: the sign-in page, or the refusal. */
async function admin(c: Context<AppEnv>): Promise<Admin | Response> {
  const visitor = await consoleVisitor(c);
  if (visitor.kind === "admin") return visitor;
  if (visitor.kind === "refused") return c.html(ConsoleRefused({ config: c.get("config"), who: visitor.who, csrfToken: csrfToken(c) }), 403);
  return c.html(ConsoleSignIn({ config: c.get("config") }), 401);
}

/** Fixed words for `?done=` after an action: the page never shows text from the query string. */
const NOTICES: Record<string, string> = {
  revoked: "The grant was revoked: its tokens stop working now.",
  not_live: "That grant was no longer live.",
  signed_out: "Signed out everywhere: every grant of this person was revoked.",
  blocked: "Blocked: this person cannot sign in, and their grants were revoked.",
  unblocked: "Unblocked: this person may sign in again.",
  client_blocked: "The client id is blocked: it is refused before any lookup or fetch, and its grants were revoked.",
  client_unblocked: "The client id is unblocked.",
  client_deleted: "The client was deleted and its grants revoked.",
  retrying: "The delivery is pending again and being attempted now.",
  more: "Done in part: more grants remain. Repeat the action to finish.",
};

function frame(c: Context<AppEnv>, a: Admin) {
  const done = c.req.query("done");
  return { config: c.get("config"), who: a.who, csrfToken: csrfToken(c), notice: done ? NOTICES[done] : undefined };
}

/** Back to `path` with a notice: 303, so a reload does not post again. */
function done(c: Context<AppEnv>, path: string, notice: keyof typeof NOTICES): Response {
  const url = new URL(path, c.get("config").publicUrl);
  url.searchParams.set("done", notice);
  return c.redirect(url.href, 303);
}

function utcDay(seconds: number): string {
  return new Date(seconds * 1000).toISOString().slice(0, 10);
}

consoleRoutes.get("/sign-in", (c) => beginConsoleSignIn(c));

consoleRoutes.get("/callback", async (c) => {
  const outcome = await finishConsoleSignIn(c);
  if (outcome === "cancelled") return c.html(ConsoleSignIn({ config: c.get("config"), notice: "The sign-in was cancelled." }), 200);
  return c.redirect(`${c.get("config").publicUrl}/admin`, 302);
});

consoleRoutes.post("/sign-out", async (c) => {
  const { form: _form } = await consoleFormOrSignedOut(c);
  endConsoleSession(c);
  return c.html(ConsoleSignIn({ config: c.get("config"), notice: "You are signed out of the console." }), 200);
});

/** Sign-out is a CSRF-checked form, but also open to a refused person (so they can switch accounts). */
async function consoleFormOrSignedOut(c: Context<AppEnv>): Promise<{ form: URLSearchParams }> {
  try {
    return await consoleForm(c);
  } catch (err) {
    if (err instanceof PageError && err.status === 401) return { form: new URLSearchParams() };
    throw err;
  }
}

consoleRoutes.get("/", async (c) => {
  const a = await admin(c);
  if (a instanceof Response) return a;
  const days = c.req.query("days") === "90" ? 90 : 30;
  return c.html(Overview({ ...frame(c, a), data: await overview(c.env.DB, days, Math.floor(Date.now() / 1000)) }), 200);
});

const peopleQuery = z.object({ email: textParam(320), domain: textParam(253), org: textParam(256), blocked: z.literal("1").optional(), cursor: cursorParam(timeIdKey) });
const PAGE = 50;

consoleRoutes.get("/people", async (c) => {
  const a = await admin(c);
  if (a instanceof Response) return a;
  const { cursor, blocked, ...rest } = readPageQuery(c, peopleQuery);
  const filter = { ...rest, blocked: blocked === "1" };
  const rows = await listUsers(c.env.DB, filter, PAGE + 1, cursor);
  const last = rows.length > PAGE ? rows[PAGE - 1] : undefined;
  return c.html(PeoplePage({ ...frame(c, a), filter, people: rows.slice(0, PAGE), next: last ? encodeCursor([last.firstSeenAt, last.userId]) : undefined }), 200);
});

consoleRoutes.get("/people/:id", async (c) => {
  const a = await admin(c);
  if (a instanceof Response) return a;
  const db = c.env.DB;
  const person = await getUser(db, c.req.param("id"));
  if (!person) throw new PageError("No such person", "Nobody with this id has signed in here.", { status: 404, reason: "console: unknown user id" });
  const usageFrom = utcDay(Math.floor(Date.now() / 1000) - 29 * 86_400);
  const [grants, apps, usage, events, feedback] = await Promise.all([
    listUserGrants(db, person.userId, 100),
    listConnectedApps(db, person.userId),
    personUsage(db, person.userId, usageFrom, 500),
    listEvents(db, { userId: person.userId }, 50),
    listFeedback(db, { userId: person.userId }, 20),
  ]);
  const clientNames = new Map<string, string>();
  for (const id of new Set(grants.map((g) => g.clientId))) {
    const declared = c.get("config").staticClients.find((s) => s.clientId === id);
    const name = declared?.clientName ?? (await getClient(db, id))?.clientName;
    if (name) clientNames.set(id, name);
  }
  // A grant's last use is its client's for this person (consents.last_used_at, moved by the usage flush).
  const lastUsed = new Map(apps.flatMap((app) => (app.lastUsedAt === undefined ? [] : [[app.clientId, app.lastUsedAt] as const])));
  return c.html(PersonPage({ ...frame(c, a), data: { person, grants, clientNames, lastUsed, usage, usageFrom, events, feedback } }), 200);
});

/** The person of a POST's path, who must exist. */
async function person(c: Context<AppEnv>): Promise<string> {
  const id = c.req.param("id") ?? "";
  if (!(await getUser(c.env.DB, id))) throw new PageError("No such person", "Nobody with this id has signed in here.", { status: 404, reason: "console: unknown user id" });
  return id;
}

const personPath = (id: string) => `/admin/people/${encodeURIComponent(id)}`;

consoleRoutes.post("/people/:id/grants/revoke", async (c) => {
  const { form, admin: a } = await consoleForm(c);
  const userId = await person(c);
  const wasLive = await revokePersonGrant(c, a.actor, userId, oneField(form, "grant_id", 128));
  if (wasLive === undefined) throw new PageError("No such grant", "This person has no grant with that id.", { status: 404, reason: "console: grant not the person's" });
  return done(c, personPath(userId), wasLive ? "revoked" : "not_live");
});

consoleRoutes.post("/people/:id/sign-out", async (c) => {
  const { admin: a } = await consoleForm(c);
  const userId = await person(c);
  const { more } = await signOutPerson(c, a.actor, userId);
  return done(c, personPath(userId), more ? "more" : "signed_out");
});

consoleRoutes.post("/people/:id/block", async (c) => {
  const { admin: a } = await consoleForm(c);
  const userId = await person(c);
  if (userId === a.user.userId) throw new PageError("You cannot block yourself", "Another administrator can block this account.", { status: 409, reason: "console: self-block" });
  const { more } = await blockPerson(c, a.actor, userId);
  return done(c, personPath(userId), more ? "more" : "blocked");
});

consoleRoutes.post("/people/:id/unblock", async (c) => {
  const { admin: a } = await consoleForm(c);
  const userId = await person(c);
  await unblockPerson(c, a.actor, userId);
  return done(c, personPath(userId), "unblocked");
});

const clientsQuery = z.object({ client_id: textParam(2000), cursor: cursorParam(timeIdKey) });

consoleRoutes.get("/clients", async (c) => {
  const a = await admin(c);
  if (a instanceof Response) return a;
  const db = c.env.DB;
  const { client_id, cursor } = readPageQuery(c, clientsQuery);
  // Declared clients are not stored in D1: the first page lists them first.
  const declared: ClientRecord[] = c.get("config").staticClients.map((sc) => ({
    clientId: sc.clientId,
    kind: "static",
    clientName: sc.clientName,
    redirectUris: sc.redirectUris,
    grantTypes: sc.grantTypes,
    tokenEndpointAuthMethod: sc.tokenEndpointAuthMethod,
    applicationType: sc.applicationType,
    metadata: {},
    createdAt: 0,
  }));
  let clients: ClientRecord[];
  let next: string | undefined;
  if (client_id !== undefined) {
    const stored = await getClient(db, client_id);
    clients = stored ? [stored] : declared.filter((d) => d.clientId === client_id);
  } else {
    const rows = await listClients(db, PAGE + 1, cursor);
    const last = rows.length > PAGE ? rows[PAGE - 1] : undefined;
    next = last ? encodeCursor([last.createdAt, last.clientId]) : undefined;
    clients = [...(cursor ? [] : declared), ...rows.slice(0, PAGE)];
  }
  const [stats, blocks] = await Promise.all([clientGrantStats(db, clients.map((cl) => cl.clientId)), listClientBlocks(db, 200)]);
  const blocked = new Set(blocks.map((b) => b.clientId));
  const rows = clients.map((client) => {
    const used = stats.get(client.clientId);
    return { client, firstUsedAt: used?.firstUsedAt, lastUsedAt: client.lastUsedAt ?? used?.lastGrantAt, people: used?.people ?? 0, blocked: blocked.has(client.clientId) };
  });
  return c.html(ClientsPage({ ...frame(c, a), rows, blockedIds: blocks.map((b) => b.clientId), next }), 200);
});

consoleRoutes.post("/clients/block", async (c) => {
  const { form, admin: a } = await consoleForm(c);
  const { more } = await blockClientNow(c, a.actor, oneField(form, "client_id"));
  return done(c, "/admin/clients", more ? "more" : "client_blocked");
});

consoleRoutes.post("/clients/unblock", async (c) => {
  const { form, admin: a } = await consoleForm(c);
  await unblockClientNow(c, a.actor, oneField(form, "client_id"));
  return done(c, "/admin/clients", "client_unblocked");
});

consoleRoutes.post("/clients/delete", async (c) => {
  const { form, admin: a } = await consoleForm(c);
  const clientId = oneField(form, "client_id");
  if (c.get("config").staticClients.some((s) => s.clientId === clientId)) throw new PageError("A declared client cannot be deleted", "Remove it from STATIC_CLIENTS instead, or block it.", { status: 409, reason: "console: delete of a static client" });
  const { more } = await deleteClientNow(c, a.actor, clientId);
  return done(c, "/admin/clients", more ? "more" : "client_deleted");
});

const dateOrTime = timeParam;
const eventsQuery = z.object({ type: textParam(64), user_id: textParam(128), client_id: textParam(2000), since: dateOrTime, until: dateOrTime, cursor: cursorParam(z.tuple([z.number().int().positive()])) });

consoleRoutes.get("/events", async (c) => {
  const a = await admin(c);
  if (a instanceof Response) return a;
  const { cursor, type, user_id, client_id, since, until } = readPageQuery(c, eventsQuery);
  // A day given as the upper bound covers that whole day.
  const untilEnd = until !== undefined && until % 86_400 === 0 ? until + 86_399 : until;
  const filter = { type, userId: user_id, clientId: client_id, since, until: untilEnd };
  const rows = await listEvents(c.env.DB, filter, PAGE + 1, cursor?.[0]);
  const last = rows.length > PAGE ? rows[PAGE - 1] : undefined;
  return c.html(EventsPage({ ...frame(c, a), filter: { ...filter, until }, events: rows.slice(0, PAGE), next: last ? encodeCursor([last.id]) : undefined, types: EVENT_TYPES }), 200);
});

consoleRoutes.get("/webhooks", async (c) => {
  const a = await admin(c);
  if (a instanceof Response) return a;
  const [pending, dead] = await Promise.all([listPendingOutbox(c.env.DB, 100), listDeadOutbox(c.env.DB, 100)]);
  return c.html(WebhooksPage({ ...frame(c, a), configured: c.get("config").captureWebhook !== undefined, pending, dead }), 200);
});

consoleRoutes.post("/webhooks/:id/retry", async (c) => {
  const { admin: a } = await consoleForm(c);
  const id = c.req.param("id");
  const now = Math.floor(Date.now() / 1000);
  if (!(await resurrectOutbox(c.env.DB, id, now))) {
    const row = await getOutbox(c.env.DB, id);
    throw new PageError("Nothing to retry", row ? `This delivery is ${row.status}, not dead.` : "There is no such delivery.", { status: row ? 409 : 404, reason: "console: retry of a row not dead" });
  }
  audit(c, { type: "webhook.retried", userId: a.user.userId, detail: { by: "console", actor: a.user.userId, delivery: id } });
  c.executionCtx.waitUntil(deliverNow(c.env.DB, c.get("config"), id, now));
  return done(c, "/admin/webhooks", "retrying");
});

const feedbackQuery = z.object({ cursor: cursorParam(timeIdKey) });

consoleRoutes.get("/feedback", async (c) => {
  const a = await admin(c);
  if (a instanceof Response) return a;
  const { cursor } = readPageQuery(c, feedbackQuery);
  const rows = await listFeedback(c.env.DB, {}, PAGE + 1, cursor);
  const last = rows.length > PAGE ? rows[PAGE - 1] : undefined;
  return c.html(FeedbackPage({ ...frame(c, a), feedback: rows.slice(0, PAGE), next: last ? encodeCursor([last.createdAt, last.id]) : undefined }), 200);
});

const usagePageQuery = z.object({ ...usageFilters, cursor: cursorParam(usageKey) });

consoleRoutes.get("/usage", async (c) => {
  const a = await admin(c);
  if (a instanceof Response) return a;
  const { cursor, ...filter } = readPageQuery(c, usagePageQuery);
  const rows = await listUsage(c.env.DB, filter, PAGE + 1, cursor);
  const last = rows.length > PAGE ? rows[PAGE - 1] : undefined;
  return c.html(UsagePage({ ...frame(c, a), filter, rows: rows.slice(0, PAGE), next: last ? encodeCursor([last.day, last.userId, last.server, last.tool]) : undefined }), 200);
});

consoleRoutes.get("/usage.csv", async (c) => {
  const a = await admin(c);
  if (a instanceof Response) return a;
  return usageCsv(c, readPageQuery(c, z.object(usageFilters)), true);
});
