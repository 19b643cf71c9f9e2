// A gateway server's tool policy (MCP_SERVERS `tools`): which tools a token may see and call, and what the gateway
// does with each JSON-RPC message of a request before it reaches the origin.
// @see MCP specification, server/tools; basic/authorization ("Scope Challenge Handling"); SEP-2243 (Mcp-Method, Mcp-Name)
import type { ToolPolicy } from "../config/servers";

/** A tool a token may call, one it may not know of (as if the origin had no such tool), or one needing a scope it lacks. */
export type ToolDecision = { kind: "allow" } | { kind: "unknown" } | { kind: "scope"; scope: string };

/** Whether the policy restricts anything: without one, the gateway never reads a response. */
export function hasToolPolicy(policy: ToolPolicy): boolean {
  return policy.allow !== undefined || policy.deny.length > 0 || Object.keys(policy.scopes).length > 0;
}

/** Denied and unlisted tools do not exist for the token; a listed tool scope it lacks can be stepped up to. */
export function toolDecision(policy: ToolPolicy, scopes: readonly string[], name: string): ToolDecision {
  if (policy.deny.includes(name) || (policy.allow !== undefined && !policy.allow.includes(name))) return { kind: "unknown" };
  const scope = policy.scopes[name];
  if (scope !== undefined && !scopes.includes(scope)) return { kind: "scope", scope };
  return { kind: "allow" };
}

type Id = string | number | null;
/** A JSON-RPC 2.0 message as it arrives: only the members the gateway reads. */
interface Message {
  jsonrpc?: unknown;
  id?: unknown;
  method?: unknown;
  params?: unknown;
  result?: unknown;
  error?: unknown;
}
export interface ErrorMessage {
  jsonrpc: "2.0";
  id: Id;
  error: { code: number; message: string };
}

/** JSON-RPC "Invalid params", which an MCP server answers for a tool it does not have. */
export const UNKNOWN_TOOL = -32602;
/** MCP 2026-07-28's code for headers that do not match the body (SEP-2243). */
export const HEADER_MISMATCH = -32020;

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);

/** One message, or each message of a batch, when `body` is JSON-RPC at all; `undefined` otherwise. */
function messagesOf(body: unknown): Message[] | undefined {
  const messages = Array.isArray(body) ? body : [body];
  if (messages.length === 0 || !messages.every((m) => isObject(m) && m.jsonrpc === "2.0")) return undefined;
  return messages as Message[];
}

/** `result.tools` of a response with only the tools the token may see; any other message unchanged. */
export function filterMessage(policy: ToolPolicy, scopes: readonly string[], message: unknown): unknown {
  if (!isObject(message) || !isObject(message.result) || !Array.isArray(message.result.tools)) return message;
  const tools = message.result.tools.filter((tool: unknown) => isObject(tool) && typeof tool.name === "string" && toolDecision(policy, scopes, tool.name).kind === "allow");
  return { ...message, result: { ...message.result, tools } };
}

/** A response body (one message or a batch) filtered; `undefined` when it is not JSON-RPC. */
export function filterBody(policy: ToolPolicy, scopes: readonly string[], body: unknown): unknown[] | Record<string, unknown> | undefined {
  const messages = messagesOf(body);
  if (!messages) return undefined;
  const filtered = messages.map((m) => filterMessage(policy, scopes, m) as Record<string, unknown>);
  return Array.isArray(body) ? filtered : filtered[0];
}

/** The SEP-2243 request headers as the client sent them. */
export interface McpHeaders {
  method?: string;
  name?: string;
}

/**
 * What the gateway does with a request body: refuse it whole (headers that disagree with it, or a tool call
 * needing a scope the token lacks, so the client can step up), answer it itself when no message may reach the
 * origin, or forward the messages it may send — `replaced` is the body without the refused ones, absent when
 * every message goes as sent — and add its answers for the refused ones to the origin's.
 */
export type RequestPlan =
  | { kind: "mismatch"; reason: string }
  | { kind: "step-up"; scope: string; tool: string }
  | { kind: "answer"; refused: ErrorMessage[] }
  | { kind: "forward"; replaced?: unknown; refused: ErrorMessage[]; listsTools: boolean };

const URI_METHODS = new Set(["resources/read", "resources/subscribe", "resources/unsubscribe"]);

/** The name SEP-2243's `Mcp-Name` carries for a method: the tool or prompt name, or the resource URI. */
function nameOf(message: Message): unknown {
  if (!isObject(message.params)) return undefined;
  return typeof message.method === "string" && URI_METHODS.has(message.method) ? message.params.uri : message.params.name;
}

/** A header value as sent: SEP-2243 wraps values that are not plain printable ASCII as `=?base64?<UTF-8, base64>?=`. */
export function headerValue(raw: string): string | undefined {
  const wrapped = /^=\?base64\?([A-Za-z0-9+/]*={0,2})\?=$/i.exec(raw);
  if (!wrapped) return raw;
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(Uint8Array.from(atob(wrapped[1] ?? ""), (ch) => ch.charCodeAt(0)));
  } catch {
    return undefined;
  }
}

/**
 * Plans a parsed request body against the policy. Headers may let a client route early, but the body decides: a
 * header that names another method or tool than the body is refused (SEP-2243). A body that is not JSON-RPC goes
 * as sent: the origin answers it with its parse error, and no tool can run from it.
 */
export function planRequest(policy: ToolPolicy, scopes: readonly string[], body: unknown, headers: McpHeaders): RequestPlan {
  const messages = messagesOf(body);
  if (headers.method !== undefined || headers.name !== undefined) {
    const single = messages?.length === 1 && !Array.isArray(body) ? messages[0] : undefined;
    if (!single) return { kind: "mismatch", reason: "Mcp-Method and Mcp-Name need a single JSON-RPC message" };
    if (headers.method !== undefined && headers.method !== single.method) return { kind: "mismatch", reason: "Mcp-Method does not match the body's method" };
    if (headers.name !== undefined && headerValue(headers.name) !== nameOf(single)) return { kind: "mismatch", reason: "Mcp-Name does not match the body" };
  }
  if (!messages) return { kind: "forward", refused: [], listsTools: false };
  const refused: ErrorMessage[] = [];
  const kept: Message[] = [];
  for (const message of messages) {
    const tool = message.method === "tools/call" && isObject(message.params) && typeof message.params.name === "string" ? message.params.name : undefined;
    const decision = tool === undefined ? ({ kind: "allow" } as const) : toolDecision(policy, scopes, tool);
    if (decision.kind === "scope") return { kind: "step-up", scope: decision.scope, tool: tool ?? "" };
    if (decision.kind === "unknown") {
      // A refused notification gets no answer (JSON-RPC 2.0 §4.1); it is simply not sent.
      if (message.id !== undefined) refused.push({ jsonrpc: "2.0", id: message.id as Id, error: { code: UNKNOWN_TOOL, message: `Tool ${tool} not found` } });
    } else kept.push(message);
  }
  const listsTools = kept.some((m) => m.method === "tools/list");
  if (kept.length === messages.length) return { kind: "forward", refused, listsTools };
  if (kept.length === 0) return { kind: "answer", refused };
  return { kind: "forward", replaced: Array.isArray(body) ? kept : kept[0], refused, listsTools };
}
