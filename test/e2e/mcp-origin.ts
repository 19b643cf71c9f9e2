// A real MCP server for the gateway tests: the MCP SDK's Node server with the stateful streamable HTTP transport,
// which checks Gatehouse's identity assertion with jose against its JWKS and records every request it receives.
// Query modes misbehave on purpose: `slow` (no headers for 3 s), `deny` (its own 401), `bulk` (10 MiB streamed);
// `json` starts a session that answers POSTs with JSON instead of SSE.
import { randomUUID } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createTcpServer, type Server as TcpServer, type Socket } from "node:net";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { type EventStore, StreamableHTTPServerTransport, type StreamableHTTPServerTransportOptions } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import { createRemoteJWKSet, type JWTPayload, jwtVerify, type ProtectedHeaderParameters } from "jose";
import * as z from "zod";

export interface OriginRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  /** The connection closed before the origin answered (the gateway cancelled the request). */
  aborted?: boolean;
  /** The verified identity assertion, or why it was refused. */
  identity: { header: ProtectedHeaderParameters; payload: JWTPayload } | { error: string };
}

export interface Origin {
  url: string;
  requests: OriginRequest[];
  stop: () => Promise<void>;
}

/** Bytes of the `bulk` answer, written in 64 KiB chunks. */
export const BULK_BYTES = 10 * 1024 * 1024;

/** The deterministic byte at `offset` of the bulk answer. */
export const bulkByte = (offset: number) => (offset * 31 + (offset >> 16)) & 0xff;

/**
 * The event store of a resumable session: events in the order they were stored, ids `<stream>:<sequence>`. (The
 * SDK's example InMemoryEventStore orders by a millisecond timestamp and then a random suffix, so two events of
 * one millisecond can replay out of order or be skipped.) Priming events (no message) are never replayed.
 */
export class OrderedEventStore implements EventStore {
  #events: { id: string; streamId: string; message: JSONRPCMessage }[] = [];

  async storeEvent(streamId: string, message: JSONRPCMessage): Promise<string> {
    const id = `${streamId}:${this.#events.length}`;
    this.#events.push({ id, streamId, message });
    return id;
  }

  async getStreamIdForEventId(eventId: string): Promise<string | undefined> {
    return this.#events.find((e) => e.id === eventId)?.streamId;
  }

  async replayEventsAfter(lastEventId: string, { send }: { send: (eventId: string, message: JSONRPCMessage) => Promise<void> }): Promise<string> {
    const last = this.#events.findIndex((e) => e.id === lastEventId);
    const streamId = this.#events[last]?.streamId ?? "";
    for (const event of this.#events.slice(last + 1)) if (event.streamId === streamId && Object.keys(event.message).length > 0) await send(event.id, event.message);
    return streamId;
  }
}

function buildServer(): McpServer {
  const server = new McpServer({ name: "origin", version: "1.0.0" });
  server.registerTool("echo", { inputSchema: { text: z.string() } }, async ({ text }) => ({ content: [{ type: "text", text }] }));
  server.registerTool("count", { inputSchema: {} }, async (_args, extra) => {
    const progressToken = extra._meta?.progressToken;
    for (let progress = 1; progress <= 3; progress++) {
      if (progressToken !== undefined) await extra.sendNotification({ method: "notifications/progress", params: { progressToken, progress, total: 3 } });
      await new Promise((r) => setTimeout(r, 150));
    }
    return { content: [{ type: "text", text: "counted" }] };
  });
  server.registerTool("announce", { inputSchema: {} }, async () => {
    server.sendToolListChanged();
    return { content: [{ type: "text", text: "announced" }] };
  });
  return server;
}

/**
 * Starts the origin on `port` at `/mcp`. `stops` receives its stop before anything is awaited, so a setup that
 * fails half-way still closes it. `resumable` gives each session an event store, so a client may
 * resume a broken stream with Last-Event-ID (MCP 2025-11-25, "Resumability and Redelivery").
 */
export async function startOrigin(port: number, gatehouseUrl: string, stops: (() => Promise<void>)[], { resumable = false } = {}): Promise<Origin> {
  const url = `http://127.0.0.1:${port}/mcp`;
  const jwks = createRemoteJWKSet(new URL(`${gatehouseUrl}/.well-known/jwks.json`));
  const requests: OriginRequest[] = [];
  const sessions = statefulSessions(buildServer, (req) => ({
    ...(resumable ? { eventStore: new OrderedEventStore() } : {}),
    enableJsonResponse: new URL(req.url ?? "/", url).searchParams.get("mode") === "json",
  }));
  const http: Server = createServer(async (req, res) => {
    const record: OriginRequest = { method: req.method ?? "", url: req.url ?? "", headers: req.headers, identity: { error: "none" } };
    requests.push(record);
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? "")?.[1];
    try {
      if (!bearer) throw new Error("no bearer");
      const { payload, protectedHeader } = await jwtVerify(bearer, jwks, { issuer: gatehouseUrl, audience: url, typ: "gh-id+jwt", algorithms: ["ES256"] });
      record.identity = { header: protectedHeader, payload };
    } catch (error) {
      record.identity = { error: error instanceof Error ? error.message : String(error) };
      res.writeHead(401, { "Content-Type": "application/json", "WWW-Authenticate": 'Bearer error="invalid_token"' }).end('{"error":"invalid_token"}');
      return;
    }
    const mode = new URL(req.url ?? "/", url).searchParams.get("mode");
    if (mode === "slow") {
      res.on("close", () => {
        if (!res.writableEnded) record.aborted = true;
      });
      await new Promise((r) => setTimeout(r, 3000));
      if (!res.destroyed) res.writeHead(200, { "Content-Type": "application/json" }).end("{}");
      return;
    }
    if (mode === "deny") {
      res.writeHead(401, { "Content-Type": "application/json", "WWW-Authenticate": 'Bearer error="invalid_token"' }).end('{"error":"invalid_token"}');
      return;
    }
    if (mode === "bulk") {
      res.writeHead(200, { "Content-Type": "application/octet-stream" });
      const chunk = Buffer.alloc(65_536);
      for (let offset = 0; offset < BULK_BYTES; offset += chunk.length) {
        for (let i = 0; i < chunk.length; i++) chunk[i] = bulkByte(offset + i);
        if (!res.write(chunk)) await new Promise((r) => res.once("drain", r));
      }
      res.end();
      return;
    }
    await sessions.handle(req, res);
  });
  const stop = await listen(port, http, stops, sessions.close);
  return { url, requests, stop };
}

/**
 * Stateful Streamable HTTP sessions: each request without Mcp-Session-Id gets a new transport (with `options()`) and
 * server (`build`); later requests find theirs by the header, and an unknown id is `404` (MCP "Session Management").
 */
export function statefulSessions(build: (transports: Map<string, StreamableHTTPServerTransport>) => McpServer, options: (req: IncomingMessage) => Partial<StreamableHTTPServerTransportOptions> = () => ({})) {
  const transports = new Map<string, StreamableHTTPServerTransport>();
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const sessionId = req.headers["mcp-session-id"];
    let transport = typeof sessionId === "string" ? transports.get(sessionId) : undefined;
    if (!transport) {
      if (sessionId !== undefined) {
        res.writeHead(404, { "Content-Type": "application/json" }).end('{"jsonrpc":"2.0","error":{"code":-32001,"message":"Session not found"},"id":null}');
        return;
      }
      const created = new StreamableHTTPServerTransport({ ...options(req), sessionIdGenerator: randomUUID, onsessioninitialized: (id) => void transports.set(id, created) });
      created.onclose = () => {
        if (created.sessionId) transports.delete(created.sessionId);
      };
      await build(transports).connect(created);
      transport = created;
    }
    await transport.handleRequest(req, res);
  };
  const close = async () => {
    await Promise.all([...transports.values()].map((t) => t.close()));
  };
  return { handle, close };
}

/**
 * Listens on 127.0.0.1:`port` and returns the stop (every connection closed, then `before`), which `stops` receives
 * before anything is awaited. Connections first: an open GET stream or a tool that never answers would otherwise
 * hold the close for good.
 */
export async function listen(port: number, http: Server, stops: (() => Promise<void>)[], before: () => Promise<void> = async () => {}): Promise<() => Promise<void>> {
  const stop = async () => {
    http.closeAllConnections();
    await before();
    await new Promise<void>((r) => http.close(() => r()));
  };
  stops.push(stop);
  await new Promise<void>((resolve, reject) => http.once("error", reject).listen(port, "127.0.0.1", resolve));
  return stop;
}

/** A TCP server that answers every connection with bytes that are not HTTP, then closes it. */
export async function startGarbageOrigin(port: number, stops: (() => Promise<void>)[]): Promise<string> {
  const sockets = new Set<Socket>();
  const tcp: TcpServer = createTcpServer((socket) => {
    sockets.add(socket.once("close", () => sockets.delete(socket)));
    socket.end("\u0000\u0001 not http at all \r\n\r\n\u00ff");
  });
  // `end` only half-closes: a peer that keeps its side open would hold `close` for good.
  stops.push(() => {
    for (const socket of sockets) socket.destroy();
    return new Promise<void>((r) => tcp.close(() => r()));
  });
  await new Promise<void>((resolve, reject) => tcp.once("error", reject).listen(port, "127.0.0.1", resolve));
  return `http://127.0.0.1:${port}/mcp`;
}
