// Which CLIENT_POLICIES entry applies to a client, by what Gatehouse verified about it, and the access-token lifetime
// it gives. Pure: the caller has the client record and the configuration.
import type { ClientMatch, ClientPolicy } from "../config";
import type { ClientRecord } from "../db/clients";
import { parseUrl } from "../lib/url";

/**
 * Whether `match` names `client`. Each matcher applies only to the kind of client that can prove it: a document id
 * or host only to a metadata document (fetched over https from that host), a name pattern only to a dynamic
 * registration (self-asserted: see README "Token lifetimes per client"), a static id only to STATIC_CLIENTS.
 */
export function matchesClient(match: ClientMatch, client: Pick<ClientRecord, "kind" | "clientId" | "clientName">): boolean {
  switch (match.kind) {
    case "cimd_id":
      return client.kind === "cimd" && client.clientId === match.value;
    case "cimd_host":
      return client.kind === "cimd" && parseUrl(client.clientId)?.hostname === match.value;
    case "client_name":
      return client.kind === "dcr" && globToRegExp(match.value).test(client.clientName);
    case "static_id":
      return client.kind === "static" && client.clientId === match.value;
  }
}

/** The access-token lifetime for `client`: the first matching policy's, else `fallback` (ACCESS_TOKEN_TTL). */
export function accessTokenTtlFor(policies: readonly ClientPolicy[], client: Pick<ClientRecord, "kind" | "clientId" | "clientName">, fallback: number): number {
  return policies.find((p) => matchesClient(p.match, client))?.accessTokenTtl ?? fallback;
}

/** `*` matches any run of characters; everything else literally, case-insensitively, the whole name. */
function globToRegExp(glob: string): RegExp {
  const escaped = glob.split("*").map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
  return new RegExp(`^${escaped.join(".*")}$`, "i");
}
