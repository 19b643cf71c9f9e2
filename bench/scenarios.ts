// The side-by-side scenarios (issue 5, item 2): each prepares its state on one side, then returns the operation
// the load loop repeats, or the reason it does not apply to that side.
import type { CpuSource } from "./cpu";
import type { HttpClient } from "./http";
import type { Operation } from "./load";
import { HeadlessBrowser, type Step } from "../test/support/browser";
import { getDocument, refresh, registerBenchClient, type SignedIn, signInAt, signInUpstream, toolsList, whoami } from "./oauth-client";

/** One server under test, as the scenarios see it. */
export interface Side {
  name: "gatehouse" | "reference";
  base: string;
  http: HttpClient;
  /**
   * Where (b) sends tools/list without a token. Gatehouse: `/mcp` itself with REQUIRE_AUTH=false. The reference
   * always guards its apiRoute, so its floor is the same MCP handler mounted on an unprotected route.
   */
  floorMcpPath: string;
  hasJwks: boolean;
  /** Where the side's CPU time is read: its `wrangler dev`'s process group. */
  cpu?: CpuSource;
  /** Gatehouse only: a second server with LIVENESS_CACHE_TTL=0, where every /mcp request asks the grant's object. */
  strictLivenessBase?: string;
  strictLivenessCpu?: CpuSource;
}

export interface Scenario {
  id: string;
  title: string;
  /** What one operation is, for the README ("request", "sign-in"). */
  unit: string;
  prepare(side: Side, concurrency: number): Promise<Operation | { skip: string }>;
  /** Where this scenario's CPU is read on `side`, when not on `side.cpu` (another server). */
  cpu?(side: Side): CpuSource | undefined;
}

let emails = 0;
/** A new person for every sign-in (the development IdP accepts any address). */
export function nextEmail(): string {
  return `bench${++emails}@bench.example`;
}

/** One sign-in per slot, each with its own client and user, so no grant is shared between concurrent workers. */
async function tokensPerSlot(side: Side, concurrency: number): Promise<SignedIn[]> {
  return Promise.all(Array.from({ length: concurrency }, () => signInAt(side.http, side.base, nextEmail())));
}

export const SCENARIOS: Scenario[] = [
  {
    id: "a",
    title: "tools/list, bearer token",
    unit: "request",
    async prepare(side, concurrency) {
      const tokens = await tokensPerSlot(side, concurrency);
      return (slot) => toolsList(side.http, `${side.base}/mcp`, tokens[slot]?.tokens.access_token);
    },
  },
  {
    id: "a0",
    title: "tools/list, liveness asked every request",
    unit: "request",
    cpu: (side) => side.strictLivenessCpu,
    async prepare(side, concurrency) {
      const base = side.strictLivenessBase;
      if (!base) return { skip: "n/a (Gatehouse's LIVENESS_CACHE_TTL=0)" };
      const tokens = await Promise.all(Array.from({ length: concurrency }, () => signInAt(side.http, base, nextEmail())));
      return (slot) => toolsList(side.http, `${base}/mcp`, tokens[slot]?.tokens.access_token);
    },
  },
  {
    id: "b",
    title: "tools/list, no auth (floor)",
    unit: "request",
    async prepare(side) {
      return () => toolsList(side.http, `${side.base}${side.floorMcpPath}`);
    },
  },
  {
    id: "c",
    title: "refresh rotation",
    unit: "request",
    async prepare(side, concurrency) {
      const tokens = await tokensPerSlot(side, concurrency);
      if (tokens.some((t) => !t.tokens.refresh_token)) return { skip: "n/a (refresh tokens not implemented)" };
      // Each slot rotates its own chain: every request presents the newest, never-used refresh token.
      return async (slot) => {
        const current = tokens[slot];
        if (!current) throw new Error(`no grant for slot ${slot}`);
        tokens[slot] = await refresh(side.http, side.base, current);
      };
    },
  },
  {
    id: "d",
    title: "whole sign-in",
    unit: "sign-in",
    async prepare(side) {
      // A side that cannot sign in at all is "n/a", not a column of errors.
      await signInAt(side.http, side.base, nextEmail());
      return async () => {
        await signInAt(side.http, side.base, nextEmail());
      };
    },
  },
  {
    id: "d2",
    title: "sign-in again, same browser",
    unit: "sign-in",
    async prepare(side, concurrency) {
      // Each slot is one person's browser that signed in to its client once; every operation authorizes that client
      // again (Gatehouse: single sign-on, no IdP; the consent page is shown and approved, since this public client
      // returns to a loopback URI and remembered consent never skips it, RFC 8252 §8.6) and redeems the code.
      const slots = await Promise.all(
        Array.from({ length: concurrency }, async () => {
          const browser = new HeadlessBrowser();
          const client = await registerBenchClient(side.http, side.base);
          const email = nextEmail();
          await signInAt(side.http, side.base, email, { client, browser });
          return { browser, client, email };
        }),
      );
      return async (slot) => {
        const person = slots[slot];
        if (!person) throw new Error(`no browser for slot ${slot}`);
        await signInAt(side.http, side.base, person.email, { client: person.client, browser: person.browser });
      };
    },
  },
  {
    id: "e1",
    title: "AS metadata (RFC 8414)",
    unit: "request",
    async prepare(side) {
      return () => getDocument(side.http, `${side.base}/.well-known/oauth-authorization-server`);
    },
  },
  {
    id: "e2",
    title: "resource metadata (RFC 9728)",
    unit: "request",
    async prepare(side) {
      return () => getDocument(side.http, `${side.base}/.well-known/oauth-protected-resource/mcp`);
    },
  },
  {
    id: "e3",
    title: "JWKS",
    unit: "request",
    async prepare(side) {
      if (!side.hasJwks) return { skip: "n/a (opaque tokens, no JWKS)" };
      return () => getDocument(side.http, `${side.base}/.well-known/jwks.json`);
    },
  },
];

/** What a person does at the upstream oidc-provider (its development login page, then its consent page). */
export interface UpstreamLogin {
  fill: Record<string, string>;
  choose: string[];
  /** The person's email at the provider: both sides must capture it, or they did not sign in the same person. */
  email: string;
}

/**
 * (d3), on its own pair of servers (bench/main.ts starts them): a whole sign-in through the same steps on both sides —
 * DCR, authorize, the side's consent page and its approve POST, the upstream oidc-provider's login and consent pages,
 * the side's callback, the token request. Gatehouse with that provider as UPSTREAM_ISSUER, the reference
 * bench/reference-upstream/. Each operation is a new client and a new browser, so nothing is remembered.
 */
export function signInWithUpstream(idp: UpstreamLogin, log: (line: string) => void): Scenario {
  return {
    id: "d3",
    title: "whole sign-in with consent and upstream",
    unit: "sign-in",
    async prepare(side) {
      // The first sign-in shows what the browser does on this side (no query strings: they carry codes).
      const browser = new HeadlessBrowser();
      const signedIn = await signInUpstream(side.http, side.base, `${side.base}/mcp`, idp, browser);
      const email = (await whoami(side.http, `${side.base}/mcp`, signedIn.tokens.access_token)).email;
      if (email !== idp.email) return { skip: `n/a (the sign-in captured the email ${JSON.stringify(email)}, not the provider's ${idp.email})` };
      log(`  (d3) ${side.name}: ${browser.steps.length} browser requests: ${browser.steps.map(describeStep).join(", ")}`);
      return async () => {
        await signInUpstream(side.http, side.base, `${side.base}/mcp`, idp);
      };
    },
  };
}

/** `GET :8890/authorize 200`: the port tells the side from the upstream; an interaction's id is left out. */
function describeStep(step: Step): string {
  const [first, ...rest] = step.url.pathname.split("/").filter(Boolean);
  return `${step.method} :${step.url.port}/${first ?? ""}${rest.length > 0 ? "/…" : ""} ${step.status}`;
}
