// Client ID Metadata Documents at /authorize and /token: fetched under the rules, cached in D1, served stale while
// the origin fails, and every failure an invalid_client page (never a redirect). The origin is a stub of fetch.
import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { clearClientCache, getClient } from "../../src/db/clients";
import type { Env } from "../../src/env";
import worker from "../../src/worker";
import { authorizeUrl } from "../support/oauth";
import { BASE } from "./helpers/browser";

const REDIRECT = "http://127.0.0.1:4567/callback";

function documentFor(clientId: string, fields: Record<string, unknown> = {}): Record<string, unknown> {
  return { client_id: clientId, client_name: "Claude Code", redirect_uris: ["http://localhost/callback", "http://127.0.0.1/callback"], grant_types: ["authorization_code", "refresh_token"], ...fields };
}

let served = 0;
/** The metadata origin: answers every fetch with `respond`. */
function origin(respond: (request: Request) => Response | Promise<Response>) {
  served = 0;
  return vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
    served++;
    return respond(new Request(input, init));
  });
}

const json = (body: unknown, headers: Record<string, string> = {}) => new Response(JSON.stringify(body), { headers: { "Content-Type": "application/json", ...headers } });

function authorizeRequest(clientId: string, redirectUri = REDIRECT): Request {
  const request = { clientId, redirectUri, challenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", state: "s1", scope: "mcp offline_access" };
  return new Request(authorizeUrl(BASE, request, { resource: undefined, prompt: "consent" }).href, { redirect: "manual" });
}

function authorize(clientId: string, redirectUri = REDIRECT): Promise<Response> {
  return exports.default.fetch(authorizeRequest(clientId, redirectUri));
}

/** A request through the app under another configuration, background writes awaited. */
async function call(request: Request, target: Env): Promise<Response> {
  const ctx = createExecutionContext();
  const res = await worker.fetch(request, target, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

function post(path: string, form: Record<string, string>): Promise<Response> {
  return exports.default.fetch(`${BASE}${path}`, { method: "POST", headers: { "Content-Type": "application/x-www-form-urlencoded" }, body: new URLSearchParams(form) });
}

async function events(clientId: string): Promise<{ type: string; detail: string }[]> {
  return (await env.DB.prepare("SELECT type, detail FROM events WHERE client_id = ? ORDER BY id").bind(clientId).all<{ type: string; detail: string }>()).results;
}

let n = 0;
const newId = () => `https://client${++n}.example.com/oauth/metadata.json`;

afterEach(() => {
  vi.restoreAllMocks();
});

/** A document fetched and cached at /authorize, then made stale (fresh_until in the past) and out of the isolate's cache. */
async function cachedThenStale(): Promise<string> {
  const id = newId();
  origin(() => json(documentFor(id)));
  expect((await authorize(id)).status).toBe(200);
  await env.DB.prepare("UPDATE clients SET fresh_until = 0 WHERE client_id = ?").bind(id).run();
  clearClientCache();
  return id;
}

describe("client_id as a metadata document URL", () => {
  it("fetches the document on first use, shows its host as the verified publisher, and warns that it only returns to this device", async () => {
    const id = newId();
    origin(() => json(documentFor(id), { "Cache-Control": "max-age=3600" }));
    const res = await authorize(id);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain("Claude Code");
    expect(html).toContain(`Published by <strong>${new URL(id).host}</strong>`);
    expect(html).toContain("only ever returns to your own device");
    expect(served).toBe(1);
    const stored = await getClient(env.DB, id);
    expect(stored).toMatchObject({ kind: "cimd", tokenEndpointAuthMethod: "none", grantTypes: ["authorization_code", "refresh_token"] });
    expect((stored?.freshUntil ?? 0) - (stored?.fetchedAt ?? 0)).toBe(3600);
  });

  it("sends the fetch without following redirects and asks for JSON", async () => {
    const id = newId();
    let seen: Request | undefined;
    origin((request) => {
      seen = request;
      return json(documentFor(id));
    });
    await authorize(id);
    expect(seen?.redirect).toBe("manual");
    expect(seen?.headers.get("Accept")).toBe("application/json");
    expect(seen?.url).toBe(id);
  });

  it("serves from the D1 cache while fresh", async () => {
    const id = newId();
    origin(() => json(documentFor(id), { "Cache-Control": "max-age=3600" }));
    expect((await authorize(id)).status).toBe(200);
    expect((await authorize(id)).status).toBe(200);
    expect(served).toBe(1);
  });

  it("serves a stale copy when the origin fails, and refuses when there is none", async () => {
    const id = await cachedThenStale();
    origin(() => new Response("down", { status: 503 }));
    expect((await authorize(id)).status).toBe(200);
    await env.DB.prepare("UPDATE clients SET fetched_at = ? WHERE client_id = ?").bind(Math.floor(Date.now() / 1000) - 8 * 86400, id).run();
    clearClientCache();
    const refused = await authorize(id);
    expect(refused.status).toBe(401);
    expect(refused.headers.get("Location")).toBeNull();
  });

  it.each([404, 410])("stops serving the stale copy once the origin answers %i, and serves it again when the document is back", async (status) => {
    const id = await cachedThenStale();
    origin(() => new Response("gone", { status }));
    const refused = await authorize(id);
    expect(refused.status).toBe(401);
    expect(refused.headers.get("Location")).toBeNull();
    expect((await authorize(id)).status).toBe(401);
    expect(served).toBe(1);
    expect(JSON.parse((await events(id)).at(-1)?.detail ?? "{}")).toMatchObject({ problem: `the document URL answered ${status}`, served_stale: false });
    const now = Date.now();
    vi.spyOn(Date, "now").mockReturnValue(now + 61_000);
    origin(() => json(documentFor(id)));
    expect((await authorize(id)).status).toBe(200);
  });

  it.each([
    ["a redirect", (id: string) => new Response(null, { status: 302, headers: { Location: `${id}/other` } })],
    ["a 6 KiB document", (id: string) => json(documentFor(id, { client_uri: `https://x.example/${"a".repeat(6 * 1024)}` }))],
    ["a non-JSON body", () => new Response("<html>", { headers: { "Content-Type": "text/html" } })],
    ["a mismatching client_id", () => json(documentFor("https://evil.example.com/oauth/metadata.json"))],
    ["a document with a client_secret", (id: string) => json(documentFor(id, { client_secret: "s" }))],
    ["a 404", () => new Response("no", { status: 404 })],
  ])("refuses %s with an invalid_client page, never a redirect, and stores nothing", async (_name, respond) => {
    const id = newId();
    origin(() => respond(id));
    const res = await authorize(id);
    expect(res.status).toBe(401);
    expect(res.headers.get("Location")).toBeNull();
    expect(res.headers.get("Content-Type")).toMatch(/^text\/html/);
    expect(await getClient(env.DB, id)).toBeUndefined();
    const event = await env.DB.prepare("SELECT type FROM events WHERE client_id = ? ORDER BY id DESC").bind(id).first<{ type: string }>();
    expect(event?.type).toBe("client.metadata_rejected");
  });

  it("refuses a slow origin after 5 seconds", async () => {
    const id = newId();
    origin((request) => new Promise((_resolve, reject) => request.signal.addEventListener("abort", () => reject(request.signal.reason))));
    const res = await authorize(id);
    expect(res.status).toBe(401);
  }, 10_000);

  it.each(["https://10.0.0.1/x", "https://[::1]/x", "https://169.254.169.254/x", "https://[::7f00:1]/x", "https://[2002:a9fe:a9fe::]/x", "https://localhost./x"])("never fetches %s", async (id) => {
    origin(() => json(documentFor(id)));
    const res = await authorize(id);
    expect(res.status).toBe(401);
    expect(served).toBe(0);
  });

  it("treats an http:// client_id as an unknown client and fetches nothing", async () => {
    origin(() => json({}));
    const res = await authorize("http://app.example.com/oauth/metadata.json");
    expect(res.status).toBe(400);
    expect(served).toBe(0);
  });

  it("refuses a redirect URI the document does not list, as a page", async () => {
    const id = newId();
    origin(() => json(documentFor(id)));
    const res = await authorize(id, "https://evil.example.com/cb");
    expect(res.status).toBe(400);
    expect(res.headers.get("Location")).toBeNull();
  });

  it("authenticates a document's client at /token by its URL once /authorize stored it, fetching nothing more even when stale", async () => {
    const id = newId();
    origin(() => json(documentFor(id)));
    expect((await authorize(id)).status).toBe(200);
    await env.DB.prepare("UPDATE clients SET fresh_until = 0, fetched_at = ? WHERE client_id = ?").bind(Math.floor(Date.now() / 1000) - 8 * 86400, id).run();
    clearClientCache();
    served = 0;
    const res = await post("/token", { grant_type: "authorization_code", client_id: id, code: "gh1c_x.y", code_verifier: "v".repeat(43) });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toBe("invalid_grant");
    expect(served).toBe(0);
  });
});

describe("what a request can make Gatehouse fetch and store", () => {
  it.each([
    ["/token", { grant_type: "authorization_code", code: "gh1c_x.y", code_verifier: "v".repeat(43) }],
    ["/token", { grant_type: "refresh_token", refresh_token: "gh1r_x.y" }],
    ["/revoke", { token: "gh1r_x.y" }],
    ["/introspect", { token: "gh1r_x.y" }],
  ])("answers an unknown document URL at %s with invalid_client, fetching and storing nothing", async (path, form) => {
    const id = newId();
    origin(() => json(documentFor(id)));
    const res = await post(path, { client_id: id, ...form });
    expect(res.status).toBe(401);
    expect(res.headers.get("Cache-Control")).toBe("no-store");
    expect(await res.json()).toEqual({ error: "invalid_client", error_description: "client authentication failed" });
    expect(served).toBe(0);
    expect(await env.DB.prepare("SELECT COUNT(*) AS n FROM clients WHERE client_id = ?").bind(id).first<{ n: number }>()).toEqual({ n: 0 });
    expect(await events(id)).toEqual([]);
  });

  it("says only that the document was refused, never what the fetch saw", async () => {
    const id = newId();
    origin(() => new Response("<h1>Not found</h1>", { status: 404, headers: { "Content-Type": "text/html" } }));
    const res = await authorize(id);
    expect(res.status).toBe(401);
    expect(/<h1>[^<]*<\/h1><p>([^<]*)<\/p>/.exec(await res.text())?.[1]).toBe("the client&#39;s metadata document was refused");
    expect(await events(id)).toEqual([{ type: "client.metadata_rejected", detail: expect.stringContaining("answered 404") }]);
  });

  it("fetches a failing URL once a minute however often it is asked for, recording one event", async () => {
    const id = newId();
    origin(() => new Response("down", { status: 503 }));
    for (let i = 0; i < 3; i++) expect((await authorize(id)).status).toBe(401);
    expect(served).toBe(1);
    expect(await events(id)).toHaveLength(1);
    const now = Date.now();
    vi.spyOn(Date, "now").mockReturnValue(now + 61_000);
    expect((await authorize(id)).status).toBe(401);
    expect(served).toBe(2);
    expect(await events(id)).toHaveLength(2);
  });

  it("serves the stale copy without fetching again while the origin keeps failing", async () => {
    const id = await cachedThenStale();
    origin(() => new Response("down", { status: 503 }));
    for (let i = 0; i < 3; i++) expect((await authorize(id)).status).toBe(200);
    expect(served).toBe(1);
    expect((await events(id)).filter((e) => e.type === "client.metadata_rejected")).toHaveLength(1);
  });

  it("keeps at most MAX_CIMD_CLIENTS documents: an old never-used one makes room, else a new URL is refused unfetched", async () => {
    const now = Math.floor(Date.now() / 1000);
    const used = newId();
    origin(() => json(documentFor(used)));
    expect((await authorize(used)).status).toBe(200);
    await env.DB.prepare("UPDATE clients SET last_used_at = ? WHERE kind = 'cimd'").bind(now).run();
    const count = async () => (await env.DB.prepare("SELECT COUNT(*) AS n FROM clients WHERE kind = 'cimd'").first<{ n: number }>())?.n ?? 0;
    const full = { ...env, MAX_CIMD_CLIENTS: String(await count()) } as Env;

    const refusedId = newId();
    origin(() => json(documentFor(refusedId)));
    const refused = await call(authorizeRequest(refusedId), full);
    expect(refused.status).toBe(503);
    expect(refused.headers.get("Location")).toBeNull();
    expect(await refused.text()).toContain("this server accepts no new applications for now");
    expect(served).toBe(0);

    const old = newId();
    await env.DB.prepare("UPDATE clients SET last_used_at = NULL, created_at = ? WHERE client_id = ?").bind(now - 2 * 3600, used).run();
    await env.DB.prepare("UPDATE clients SET client_id = ? WHERE client_id = ?").bind(old, used).run();
    const admitted = newId();
    origin(() => json(documentFor(admitted)));
    expect((await call(authorizeRequest(admitted), full)).status).toBe(200);
    expect(served).toBe(1);
    expect(await getClient(env.DB, admitted)).toBeDefined();
    expect(await env.DB.prepare("SELECT 1 FROM clients WHERE client_id = ?").bind(old).first()).toBeNull();
    expect(await count()).toBe(Number(full.MAX_CIMD_CLIENTS));
  });

  it("keeps a cached document past its stale period while its grants still use it at /token", async () => {
    const now = Math.floor(Date.now() / 1000);
    const inUse = newId();
    const unused = newId();
    origin((request) => json(documentFor(request.url)));
    expect((await authorize(inUse)).status).toBe(200);
    expect((await authorize(unused)).status).toBe(200);
    await env.DB.prepare("UPDATE clients SET fetched_at = ?, fresh_until = 0 WHERE client_id IN (?, ?)").bind(now - 30 * 86400, inUse, unused).run();
    await env.DB.prepare("UPDATE clients SET last_used_at = ? WHERE client_id = ?").bind(now - 86400, inUse).run();
    const ctx = createExecutionContext();
    await worker.scheduled(createScheduledController({ scheduledTime: Date.now(), cron: "*/5 * * * *" }), env, ctx);
    await waitOnExecutionContext(ctx);
    expect(await env.DB.prepare("SELECT client_id FROM clients WHERE client_id IN (?, ?)").bind(inUse, unused).all()).toMatchObject({ results: [{ client_id: inUse }] });
  });
});
