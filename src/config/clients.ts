// The clients Gatehouse knows: those the operator declares (STATIC_CLIENTS) and the caps on those that register
// themselves, by DCR (RFC 7591) or by a client ID metadata document (CIMD).
import * as z from "zod";
import { type ClientPolicy, parseClientPolicies } from "./client-policies";
import type { Reader } from "./reader";

/** A client declared by the operator (`STATIC_CLIENTS`); its secret, when any, is kept only as a SHA-256 hash. */
export interface StaticClient {
  clientId: string;
  clientName: string;
  redirectUris: string[];
  grantTypes: string[];
  tokenEndpointAuthMethod: "none" | "client_secret_basic" | "client_secret_post";
  /** The plain secret as configured (a wrangler secret); hashed when the client is looked up. */
  clientSecret?: string;
  applicationType: "web" | "native";
  /** A resource server allowed to call /introspect (`"introspection": true`); confidential only. */
  introspection: boolean;
}

export interface Clients {
  /** Pre-registered clients (`STATIC_CLIENTS`), found before D1. */
  staticClients: StaticClient[];
  /** Most dynamically registered clients kept at once (`MAX_DCR_CLIENTS`); /register answers 503 beyond. */
  maxDcrClients: number;
  /** Most cached metadata documents kept at once (`MAX_CIMD_CLIENTS`); beyond, a new document URL is refused. */
  maxCimdClients: number;
  /** Most never-used registrations from one source (`MAX_DCR_CLIENTS_PER_SOURCE`); /register answers 429 beyond. */
  maxDcrClientsPerSource: number;
  /** Per-client settings (`CLIENT_POLICIES`), first match wins (src/policy/client-policy.ts). */
  clientPolicies: ClientPolicy[];
}

const staticClientEntry = z.object({
  client_id: z.string().min(1).max(200),
  client_name: z.string().min(1).max(128),
  redirect_uris: z.array(z.string().min(1)).max(20).default([]),
  grant_types: z.array(z.enum(["authorization_code", "refresh_token"])).default(["authorization_code", "refresh_token"]),
  token_endpoint_auth_method: z.enum(["none", "client_secret_basic", "client_secret_post"]).default("none"),
  client_secret: z.string().min(32).optional(),
  application_type: z.enum(["web", "native"]).default("web"),
  introspection: z.boolean().default(false),
});

export function parseClients(read: Reader): Clients {
  const staticClients = parseStaticClients(read);
  const maxDcrClients = read.bounded("MAX_DCR_CLIENTS", 10_000, 1, 10_000_000);
  const maxCimdClients = read.bounded("MAX_CIMD_CLIENTS", 10_000, 1, 10_000_000);
  const maxDcrClientsPerSource = read.bounded("MAX_DCR_CLIENTS_PER_SOURCE", 100, 1, 10_000_000);
  return { staticClients, maxDcrClients, maxCimdClients, maxDcrClientsPerSource, clientPolicies: parseClientPolicies(read) };
}

function parseStaticClients(read: Reader): StaticClient[] {
  const entries = read.json("STATIC_CLIENTS", z.array(staticClientEntry).max(100), "a JSON array of clients") ?? [];
  return entries.map((entry) => {
    if ((entry.token_endpoint_auth_method === "none") !== (entry.client_secret === undefined)) {
      read.problem("STATIC_CLIENTS", `client ${entry.client_id} needs a client_secret (of 32 or more characters) exactly when it authenticates with one`);
    }
    // RFC 7662 §2.1: the endpoint answers only callers it has authenticated; a public client proves nothing.
    if (entry.introspection && entry.token_endpoint_auth_method === "none") {
      read.problem("STATIC_CLIENTS", `client ${entry.client_id} may introspect only when it authenticates with a client_secret`);
    }
    if (entry.redirect_uris.length === 0 && !entry.introspection) {
      read.problem("STATIC_CLIENTS", `client ${entry.client_id} needs redirect_uris (only an introspection-only resource server may omit them)`);
    }
    return {
      clientId: entry.client_id,
      clientName: entry.client_name,
      redirectUris: entry.redirect_uris,
      grantTypes: entry.grant_types.includes("authorization_code") ? entry.grant_types : ["authorization_code", ...entry.grant_types],
      tokenEndpointAuthMethod: entry.token_endpoint_auth_method,
      clientSecret: entry.client_secret,
      applicationType: entry.application_type,
      introspection: entry.introspection,
    };
  });
}
