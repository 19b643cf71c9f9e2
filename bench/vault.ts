// The upstream token vault scenario (issue 16), against node-oidc-provider as the upstream (rotating refresh tokens,
// in this process): `tools/list` through a gateway server with `authorization: "upstream:default"` — the vault serves
// the provider's token on every request — against the same origin behind an identity-only server, in alternating
// rounds; then the same with the token due on every request (each one refreshes at the provider); then one grant
// whose token is due, called 50 times at once: the provider must see exactly one refresh.
import { ACCOUNT, startUpstream } from "../test/e2e/upstream-provider";
import { markdownTable } from "./compare";
import type { HttpClient } from "./http";
import { type LoadLimits, type LoadResult, type Operation, runLoad, type Summary, summarize } from "./load";
import { signInUpstream, toolsList } from "./oauth-client";
import type { BenchOrigin } from "./gateway";
import type { Server } from "./servers";

const UPSTREAM_CLIENT = { clientId: "gatehouse-bench", clientSecret: "bench-upstream-secret-long-enough-0123456789" };
/** The two servers in MCP_SERVERS: the same origin, with and without the provider's token. */
const SERVERS = (origin: string) => [
  { name: "identity", origin },
  { name: "upstream", origin, authorization: "upstream:default" },
];
const CONCURRENT = 50;

export interface VaultResult {
  identity: Summary;
  served: Summary;
  refreshDue: Summary;
  /** Refresh requests the provider answered during the refresh-due rounds (one per operation expected). */
  refreshDueRefreshes: number;
  concurrent: { calls: number; succeeded: number; refreshes: number };
}

export interface VaultOptions extends LoadLimits {
  rounds: number;
  warmupMs: number;
}

/**
 * Starts the provider, then Gatehouse through `startServer(vars)` (its callback must be `gatehouseUrl/callback`),
 * signs in once per slot, and measures.
 */
export async function measureVault(http: HttpClient, gatehouseUrl: string, origin: BenchOrigin, startServer: (vars: Record<string, string>) => Promise<Server>, options: VaultOptions): Promise<VaultResult> {
  // The code's access token is due at once (30 s < the 60 s margin); refreshed ones live an hour, or 30 s when `due`.
  const ttl = { firstAccessTtl: 30, refreshedAccessTtl: 3600 };
  const upstream = await startUpstream(gatehouseUrl, UPSTREAM_CLIENT, { refresh: ttl });
  try {
    const server = await startServer({ DEV_IDP: "false", UPSTREAM_ISSUER: upstream.issuer, UPSTREAM_CLIENT_ID: UPSTREAM_CLIENT.clientId, UPSTREAM_CLIENT_SECRET: UPSTREAM_CLIENT.clientSecret, MCP_SERVERS: JSON.stringify(SERVERS(origin.url)) });
    const idp = { fill: { login: ACCOUNT.login, password: "bench" }, choose: [] };
    const signIn = (name: string) => signInUpstream(http, server.url, `${server.url}/mcp/${name}`, idp);
    const slots = Array.from({ length: options.concurrency });
    const [identityTokens, upstreamTokens] = await Promise.all([Promise.all(slots.map(() => signIn("identity"))), Promise.all(slots.map(() => signIn("upstream")))]);
    const list = (name: string, tokens: typeof identityTokens): Operation => (slot) => toolsList(http, `${server.url}/mcp/${name}`, tokens[slot]?.tokens.access_token, "echo");
    const refreshes = () => upstream.tokenRequests.filter((r) => r === "refresh_token").length;

    const paths: Record<"identity" | "served", Operation> = { identity: list("identity", identityTokens), served: list("upstream", upstreamTokens) };
    // The warm-up also makes each slot's first (due) refresh: from then on the vault serves.
    for (const operation of Object.values(paths)) await runLoad(operation, { ...options, durationMs: options.warmupMs });
    const rounds: Record<"identity" | "served", LoadResult[]> = { identity: [], served: [] };
    for (let round = 0; round < options.rounds; round++) {
      for (const [name, operation] of Object.entries(paths) as ["identity" | "served", Operation][]) rounds[name].push(await runLoad(operation, options));
    }

    // New grants whose tokens, refreshed ones too, are due at once: every call refreshes (one at a time per grant).
    ttl.refreshedAccessTtl = 30;
    const dueTokens = await Promise.all(slots.map(() => signIn("upstream")));
    const refreshing = list("upstream", dueTokens);
    await runLoad(refreshing, { ...options, durationMs: options.warmupMs });
    const before = refreshes();
    const due: LoadResult[] = [];
    for (let round = 0; round < options.rounds; round++) due.push(await runLoad(refreshing, options));
    const refreshDueRefreshes = refreshes() - before;
    ttl.refreshedAccessTtl = 3600;

    // One new grant, its first token due: 50 calls at once.
    const fresh = await signIn("upstream");
    const start = refreshes();
    const calls = await Promise.allSettled(Array.from({ length: CONCURRENT }, () => toolsList(http, `${server.url}/mcp/upstream`, fresh.tokens.access_token, "echo")));
    const concurrent = { calls: CONCURRENT, succeeded: calls.filter((c) => c.status === "fulfilled").length, refreshes: refreshes() - start };
    await server.stop();
    return { identity: summarize(rounds.identity), served: summarize(rounds.served), refreshDue: summarize(due), refreshDueRefreshes, concurrent };
  } finally {
    upstream.server.closeAllConnections();
    await new Promise((resolve) => upstream.server.close(resolve));
  }
}

/** The vault's figures as a Markdown table. */
export function renderVaultTable(r: VaultResult): string {
  const cells = (s: Summary) => [s.rps.toFixed(1), s.p50.toFixed(2), s.p99.toFixed(2), String(s.errors)];
  const rows = [
    ["(v) gateway tools/list, identity assertion only", ...cells(r.identity)],
    ["(v) the same with upstreamToken() served from the vault", ...cells(r.served)],
    ["(v) upstreamToken() from the vault adds", "", `+${(r.served.p50 - r.identity.p50).toFixed(2)}`, `+${(r.served.p99 - r.identity.p99).toFixed(2)}`, ""],
    [`(v) with a refresh due on every call (${r.refreshDueRefreshes} refreshes at the provider)`, ...cells(r.refreshDue)],
    [`(v) ${r.concurrent.calls} concurrent calls, token due: ${r.concurrent.succeeded} succeeded, refreshes at the provider`, "", "", "", String(r.concurrent.refreshes)],
  ];
  return markdownTable(["vault scenario", "ops/s", "p50 ms", "p99 ms", "errors"], rows);
}
