// How Gatehouse reaches an upstream provider: a 10-second timeout on every request, plain http only between
// loopback hosts, GitHub's token answers made standard (src/upstream/github.ts), and, for the built-in development IdP,
// in-process dispatch instead of a network self-fetch.
import * as oauth from "oauth4webapi";
import { type Config, type UpstreamProvider, isLoopbackHost } from "../config";
import type { Env } from "../env";
import { githubFetch } from "./github";

/** A handler answering the development IdP's routes in this isolate. */
export type InProcessIdp = (request: Request, env: Env) => Response | Promise<Response>;

// The development IdP is a feature above this layer: the app that mounts it hands its handler down (src/gatehouse.ts).
let devIdp: InProcessIdp | undefined;

/** Makes the built-in provider's requests go to `handler` in this isolate instead of the network. */
export function serveDevIdpInProcess(handler: InProcessIdp): void {
  devIdp = handler;
}

/** Upper bound on each upstream HTTP request (discovery, JWKS, token, userinfo). */
export const UPSTREAM_TIMEOUT_MS = 10_000;

/** The oauth4webapi transport options shared by every call to one provider. */
export interface UpstreamHttp {
  signal: (url: string) => AbortSignal;
  headers: Record<string, string>;
  [oauth.customFetch]?: (url: string, init: oauth.CustomFetchOptions<string, unknown>) => Promise<Response>;
  [oauth.allowInsecureRequests]?: boolean;
}

/** True when `url` may be fetched over plain http: it and PUBLIC_URL are both loopback (development). */
export function insecureAllowed(config: Config, url: string): boolean {
  const target = new URL(url);
  return target.protocol === "http:" && isLoopbackHost(target.hostname) && isLoopbackHost(new URL(config.publicUrl).hostname);
}

/** Transport options for `provider`, passed to every oauth4webapi request function. */
export function upstreamHttp(env: Env, config: Config, provider: UpstreamProvider): UpstreamHttp {
  const options: UpstreamHttp = {
    signal: () => AbortSignal.timeout(UPSTREAM_TIMEOUT_MS),
    // GitHub's API refuses requests without a User-Agent.
    headers: { "User-Agent": "Gatehouse" },
  };
  if (insecureAllowed(config, provider.issuer)) options[oauth.allowInsecureRequests] = true;
  if (provider.builtIn) options[oauth.customFetch] = (url, init) => dispatchToDevIdp(env, config, url, init);
  if (provider.type === "github") options[oauth.customFetch] = githubFetch(provider.tokenEndpoint);
  return options;
}

/** Hands a request for the development IdP to its routes in this isolate: same protocol, no network. */
async function dispatchToDevIdp(env: Env, config: Config, url: string, init: oauth.CustomFetchOptions<string, unknown>): Promise<Response> {
  const target = new URL(url);
  if (target.origin !== config.publicUrl || !target.pathname.startsWith("/dev-idp/")) {
    throw new Error("the built-in IdP's metadata points outside /dev-idp/");
  }
  const body = typeof init.body === "string" || init.body instanceof URLSearchParams ? init.body : undefined;
  const request = new Request(target, { method: init.method, headers: init.headers, body, redirect: "manual", signal: init.signal });
  if (!devIdp) throw new Error("the development IdP is configured but not mounted");
  return devIdp(request, env);
}
