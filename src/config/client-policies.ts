// CLIENT_POLICIES: per-client settings the operator declares, matched by what Gatehouse can verify about a client.
// Today one setting: a longer access-token lifetime for clients that never refresh (README "Token lifetimes per client").
import * as z from "zod";
import type { Reader } from "./reader";

/** Longest access-token lifetime a policy may give, seconds: revocation still reaches such tokens through liveness. */
export const MAX_POLICY_ACCESS_TOKEN_TTL = 30 * 86_400;

/** How a policy names its clients: exactly one of these, each only for the kind of client that can prove it. */
export type ClientMatch =
  /** A metadata document's URL (its client_id), exactly. */
  | { kind: "cimd_id"; value: string }
  /** Any metadata document served from this host (lower-case): the host proved it by serving the document over https. */
  | { kind: "cimd_host"; value: string }
  /** A dynamically registered client whose `client_name` matches this glob (`*` any run of characters, case-insensitive). */
  | { kind: "client_name"; value: string }
  /** A STATIC_CLIENTS entry's client_id, exactly. */
  | { kind: "static_id"; value: string };

export interface ClientPolicy {
  match: ClientMatch;
  /** Access-token lifetime for the matching clients, seconds (60 to 30 days). */
  accessTokenTtl: number;
}

const entry = z
  .object({
    cimd_id: z.string().url().startsWith("https://").max(2000).optional(),
    cimd_host: z.string().regex(/^[a-z0-9.-]+\.[a-z]{2,}$/i, "must be a host name").max(253).optional(),
    client_name: z.string().min(1).max(128).optional(),
    static_id: z.string().min(1).max(200).optional(),
    access_token_ttl: z.number().int().min(60).max(MAX_POLICY_ACCESS_TOKEN_TTL),
  })
  .strict()
  .refine((e) => [e.cimd_id, e.cimd_host, e.client_name, e.static_id].filter((v) => v !== undefined).length === 1, "needs exactly one of cimd_id, cimd_host, client_name, static_id");

/** Reads CLIENT_POLICIES (a JSON array, first match wins); a bad entry is a problem naming the variable. */
export function parseClientPolicies(read: Reader): ClientPolicy[] {
  const entries = read.json("CLIENT_POLICIES", z.array(entry).max(100), "a JSON array of client policies") ?? [];
  return entries.map((e) => ({ match: matchOf(e), accessTokenTtl: e.access_token_ttl }));
}

function matchOf(e: z.infer<typeof entry>): ClientMatch {
  if (e.cimd_id !== undefined) return { kind: "cimd_id", value: e.cimd_id };
  if (e.cimd_host !== undefined) return { kind: "cimd_host", value: e.cimd_host.toLowerCase() };
  if (e.client_name !== undefined) return { kind: "client_name", value: e.client_name };
  return { kind: "static_id", value: e.static_id ?? "" };
}
