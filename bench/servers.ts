// Starts the two servers under test through the shared `wrangler dev` starter (test/support/node/wrangler-dev.ts):
// Gatehouse as the e2e tests start it, and the reference Workers (bench/reference/, bench/reference-upstream/), each on its own port with its own
// temporary local state and a clean stop.
import { type Gatehouse, startGatehouse as startDevGatehouse, startWranglerDev } from "../test/support/node/wrangler-dev";

export type Server = Gatehouse;

/** Gatehouse as the e2e tests start it, with its rate limits off: the load here comes from one address. */
export function startGatehouse(port: number, vars: Record<string, string> = {}): Promise<Server> {
  return startDevGatehouse(port, { RATE_LIMITS: "false", ...vars });
}

/** Relative to the package root, where npm runs scripts (the starter relies on it too, for wrangler.jsonc). */
const REFERENCE_CONFIG = "bench/reference/wrangler.toml";

/** Starts the workers-oauth-provider reference on `port` (inspector on port + 1000); resolves when it answers. */
export function startReference(port: number, configPath = REFERENCE_CONFIG): Promise<Server> {
  return startWranglerDev({ port, name: "the reference", args: ["-c", configPath], vars: {}, statePrefix: "gatehouse-bench-ref-" });
}

/** Starts the platform floor (bench/floor/): a Worker that answers /healthz with nothing and /proxy by fetching `origin`. */
export function startFloor(port: number, origin: string): Promise<Server> {
  return startWranglerDev({ port, name: "the floor Worker", args: ["-c", "bench/floor/wrangler.toml"], vars: { ORIGIN: origin }, statePrefix: "gatehouse-bench-floor-" });
}

/** The upstream a sign-in reference redirects to: the bench's oidc-provider and the client registered there. */
export interface UpstreamClient {
  issuer: string;
  clientId: string;
  clientSecret: string;
}

/** Starts the second reference (bench/reference-upstream/): consent page, then `upstream` for the login. */
export function startReferenceUpstream(port: number, upstream: UpstreamClient): Promise<Server> {
  const vars = { UPSTREAM_ISSUER: upstream.issuer, UPSTREAM_CLIENT_ID: upstream.clientId, UPSTREAM_CLIENT_SECRET: upstream.clientSecret };
  return startWranglerDev({ port, name: "the upstream reference", args: ["-c", "bench/reference-upstream/wrangler.toml"], vars, statePrefix: "gatehouse-bench-refup-" });
}
