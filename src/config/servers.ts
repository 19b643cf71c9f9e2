// MCP_SERVERS: the origin MCP servers Gatehouse fronts as a gateway, each its own protected resource.
// @see DESIGN.md "Gateway: several MCP servers behind one Gatehouse"
import * as z from "zod";
import { parseUrl } from "../lib/url";
import { type ConfigProblem, isLoopbackHost } from "./reader";

/** Tool policy of one server, enforced by the gateway (src/policy/tool-policy.ts, src/mcp/gateway/guard.ts). */
export interface ToolPolicy {
  allow?: string[];
  deny: string[];
  /** Tool name → the scope a token must carry to see and call it. */
  scopes: Record<string, string>;
}

/** One origin MCP server behind the gateway. */
export interface McpServer {
  name: string;
  label: string;
  /** Where Gatehouse serves it, e.g. `/mcp/github`. */
  path: string;
  /** Its RFC 8707 resource identifier: `PUBLIC_URL + path`. */
  resource: string;
  /** Exactly one of the two: the origin's MCP endpoint URL, or the name of a service binding. */
  origin?: string;
  service?: string;
  /** Scopes a token must carry to use this server at all. */
  scopes: string[];
  tools: ToolPolicy;
  /** Milliseconds until the origin's response headers. */
  timeoutMs: number;
  /**
   * Linked providers (UPSTREAMS names): signing in to this server also connects each, in this order, after the
   * primary sign-in (README "Linking several providers").
   */
  requires: string[];
  /**
   * `authorization: "upstream:<provider>"`: the origin gets that provider's access token from the grant's vault as its
   * bearer, and the identity assertion moves to `Gatehouse-Identity`; absent (`"identity"`), the assertion is the bearer.
   */
  upstreamProvider?: string;
}

const VARIABLE = "MCP_SERVERS";
const DEFAULT_TIMEOUT_MS = 30_000;
/** First path segments Gatehouse answers itself; a server there would shadow its endpoints. */
const RESERVED_SEGMENTS = new Set(["", ".well-known", "authorize", "callback", "token", "register", "revoke", "introspect", "dev-idp", "admin", "account", "healthz", "_gatehouse"]);

const slug = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,31}$/, "must be a short lowercase slug");
const scopeList = z.union([z.string().transform((s) => s.split(/\s+/).filter(Boolean)), z.array(z.string().min(1))]);
const toolNames = z.array(z.string().min(1).max(128)).max(1000);

const entry = z
  .object({
    name: slug,
    label: z.string().min(1).max(64).optional(),
    path: z
      .string()
      .regex(/^(\/[A-Za-z0-9._~-]+)+$/, "must be an absolute path of unreserved characters, without a trailing slash")
      .optional(),
    origin: z.string().optional(),
    service: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, "must be a binding name").optional(),
    scopes: scopeList.optional(),
    tools: z.object({ allow: toolNames.optional(), deny: toolNames.default([]), scopes: z.record(z.string().min(1), z.string().min(1)).default({}) }).strict().optional(),
    timeout_ms: z.number().int().min(100).max(300_000).optional(),
    requires: z.array(slug).max(4).optional(),
    authorization: z.union([z.literal("identity"), z.string().regex(/^upstream:[a-z0-9][a-z0-9_-]{0,31}$/, 'must be "identity" or "upstream:<provider>"')]).optional(),
  })
  .strict();

/** What the entries are checked against: `PUBLIC_URL`, `SCOPES`, and the configured providers' names. */
export interface ServerContext {
  publicUrl: string;
  scopes: string[];
  providers: string[];
}

/** One entry of `MCP_SERVERS` as written, field for field: what `createGatehouse({ servers })` takes. */
export type McpServerEntry = z.input<typeof entry>;

/**
 * Reads `MCP_SERVERS` (a JSON array); every broken rule is a problem naming the variable and the entry, and a
 * broken entry is left out. `publicUrl` gives each server its resource; `scopes` is SCOPES, which every server
 * and tool scope must come from; `providers` the providers a server may require or take its authorization from.
 * @see https://www.rfc-editor.org/rfc/rfc8707#section-2 (resource identifiers)
 */
export function parseServers(raw: string | undefined, problems: ConfigProblem[], context: ServerContext): McpServer[] {
  if (raw === undefined || raw.trim() === "") return [];
  const problem = (message: string) => problems.push({ variable: VARIABLE, message });
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    problem("must be a JSON array of servers (not valid JSON)");
    return [];
  }
  if (!Array.isArray(json)) {
    problem("must be a JSON array of servers");
    return [];
  }
  const servers: McpServer[] = [];
  json.forEach((value, index) => {
    const parsed = entry.safeParse(value);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      problem(`entry ${index}: ${issue ? `${issue.path.join(".") || "value"}: ${issue.message}` : "invalid"}`);
      return;
    }
    const server = toServer(parsed.data, context);
    if (typeof server === "string") problem(`server "${parsed.data.name}": ${server}`);
    else servers.push(server);
  });
  const unique = (key: "name" | "path", what: string) => {
    const seen = new Set<string>();
    for (const s of servers) {
      if (seen.has(s[key])) problem(`${what} ${s[key]} is used by more than one server`);
      seen.add(s[key]);
    }
  };
  unique("name", "name");
  unique("path", "path");
  return servers;
}

/** One validated entry as a server, or why it is refused. */
function toServer(e: z.infer<typeof entry>, context: ServerContext): McpServer | string {
  const path = e.path ?? `/mcp/${e.name}`;
  if (RESERVED_SEGMENTS.has(path.split("/")[1] ?? "")) return `path ${path} would shadow one of Gatehouse's own endpoints`;
  if ((e.origin === undefined) === (e.service === undefined)) return "needs exactly one of origin and service";
  if (e.origin !== undefined) {
    const refused = originProblem(e.origin);
    if (refused) return refused;
  }
  const scopes = e.scopes ?? context.scopes;
  const known = new Set(context.scopes);
  const unknownScopes = [...scopes, ...Object.values(e.tools?.scopes ?? {})].filter((s) => !known.has(s));
  if (unknownScopes.length > 0) return `scope ${[...new Set(unknownScopes)].join(" ")} is not listed in SCOPES`;
  const requires = e.requires ?? [];
  const unknownProviders = requires.filter((p) => !context.providers.includes(p));
  if (unknownProviders.length > 0) return `requires ${unknownProviders.join(" ")}, which is not a configured provider (UPSTREAMS)`;
  if (new Set(requires).size !== requires.length) return "requires lists a provider twice";
  const upstreamProvider = e.authorization?.startsWith("upstream:") ? e.authorization.slice("upstream:".length) : undefined;
  if (upstreamProvider !== undefined && !context.providers.includes(upstreamProvider)) return `authorization names the provider ${upstreamProvider}, which is not configured`;
  return {
    name: e.name,
    label: e.label ?? e.name,
    path,
    resource: `${context.publicUrl}${path}`,
    origin: e.origin,
    service: e.service,
    scopes: [...new Set(scopes)],
    tools: { allow: e.tools?.allow, deny: e.tools?.deny ?? [], scopes: e.tools?.scopes ?? {} },
    timeoutMs: e.timeout_ms ?? DEFAULT_TIMEOUT_MS,
    requires,
    ...(upstreamProvider !== undefined && { upstreamProvider }),
  };
}

/** The origin must be https, or plain http only to this machine: the request carries who the person is. */
function originProblem(origin: string): string | undefined {
  const url = parseUrl(origin);
  if (!url) return "origin must be an absolute URL";
  if (url.protocol !== "https:" && url.protocol !== "http:") return "origin must be an https URL";
  if (url.protocol === "http:" && !isLoopbackHost(url.hostname)) return "origin must use https unless the host is loopback";
  if (url.username || url.password || url.hash) return "origin must have no credentials or fragment";
  return undefined;
}
