// Parses the Worker's variables once into a typed, bounded configuration, one reader per section of README's
// configuration table. It fails closed: every bad or missing value becomes a problem naming its variable, and the
// flow endpoints refuse to run until it is fixed.
import type { ConfigVars } from "../env";
import { type Branding, parseBranding } from "./branding";
import { type Console, consoleClient, CONSOLE_CLIENT_ID, parseConsole } from "./admin";
import { type Clients, parseClients } from "./clients";
import { type Enterprise, parseEnterprise } from "./enterprise";
import { type Operations, parseOperations } from "./operations";
import { type Origin, parseOrigin } from "./origin";
import { type ConfigProblem, Reader } from "./reader";
import { type McpServer, parseServers } from "./servers";
import { type SignIn, parseSignIn } from "./sign-in";
import { type Tokens, parseTokens } from "./tokens";
import { type Upstreams, parseUpstreams } from "./upstreams";
import { type CaptureWebhook, parseWebhook } from "./webhook";

export type { StaticClient } from "./clients";
export type { ClientMatch, ClientPolicy } from "./client-policies";
export type { TrustedEnterpriseIdp } from "./enterprise";
export { type ConfigProblem, isLoopbackHost } from "./reader";
export type { ClaimMap, UpstreamProvider } from "./upstreams";

export interface Config extends Origin, Upstreams, SignIn, Tokens, Clients, Enterprise, Operations, Console {
  branding: Branding;
  captureWebhook?: CaptureWebhook;
  /** The origin MCP servers behind the gateway (`MCP_SERVERS`). */
  servers: McpServer[];
  /** Why the flow endpoints are refused; empty when the configuration is complete. */
  problems: ConfigProblem[];
  warnings: string[];
}

/** Reads the raw variables (wrangler `vars` and secrets) into a `Config`; never throws. */
export function parseConfig(vars: ConfigVars): Config {
  const read = new Reader(vars);
  const origin = parseOrigin(read);
  const upstreams = parseUpstreams(read, origin.publicUrl);
  const parsedConsole = parseConsole(read);
  return {
    ...origin,
    ...upstreams,
    ...parseSignIn(read),
    ...parseTokens(read),
    branding: parseBranding(read),
    captureWebhook: parseWebhook(read),
    ...withConsoleClient(read, parseClients(read), origin.publicUrl, parsedConsole),
    ...parseEnterprise(read, upstreams.upstreams),
    ...parseOperations(read),
    ...parsedConsole,
    servers: parseServers(read.text("MCP_SERVERS"), read.problems, { ...origin, providers: upstreams.upstreams.map((u) => u.name) }),
    problems: read.problems,
    warnings: read.warnings,
  };
}

/** The declared clients, and the console's own sign-in client when the console is on. */
function withConsoleClient(read: Reader, clients: Clients, publicUrl: string, console: Console): Clients {
  if (!console.admin) return clients;
  if (clients.staticClients.some((c) => c.clientId === CONSOLE_CLIENT_ID)) read.problem("STATIC_CLIENTS", `the client id ${CONSOLE_CLIENT_ID} is the admin console's own`);
  return { ...clients, staticClients: [...clients.staticClients, consoleClient(publicUrl)] };
}

const cache = new WeakMap<object, Config>();

/** `parseConfig`, memoised per environment object (one parse per isolate), logging problems once. */
export function loadConfig(env: ConfigVars): Config {
  let config = cache.get(env);
  if (!config) {
    config = parseConfig(env);
    cache.set(env, config);
    for (const p of config.problems) console.error(JSON.stringify({ event: "config.invalid", variable: p.variable, message: p.message }));
    for (const w of config.warnings) console.warn(JSON.stringify({ event: "config.warning", message: w }));
  }
  return config;
}
