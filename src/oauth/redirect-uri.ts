// Redirect URI policy: what may be registered (RFC 7591, RFC 8252, OAuth 2.1 §2.3.1) and how a presented URI matches.

/** `undefined` when `uri` may be registered by a client of `applicationType`, else the reason it may not. */
export function checkRedirectUri(_uri: string, _applicationType: "web" | "native"): string | undefined {
  throw new Error("not implemented: issue #2");
}

/** The registered URI that `presented` matches exactly — or, for loopback http URIs, on any port (RFC 8252 §7.3). */
export function matchRedirectUri(_registered: readonly string[], _presented: string): string | undefined {
  throw new Error("not implemented: issue #2");
}
