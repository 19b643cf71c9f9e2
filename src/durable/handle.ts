// Formats of the credentials that carry a grant's id, so the Worker routes to the grant's Durable Object with no
// lookup table. Versioned prefixes let the format change later and let secret scanners recognise them.
// Documented in docs/storage.md.

/** Prefixes: upstream `state`, authorization code, refresh token. Version 1. */
export const HANDLE_PREFIX = { state: "gh1s_", code: "gh1c_", refresh: "gh1r_" } as const;

export type HandleKind = keyof typeof HANDLE_PREFIX;

export interface Handle {
  grantId: string;
  secret: string;
}

const GRANT_ID = /^[0-9a-f]{64}$/;
const SECRET = /^[A-Za-z0-9_-]{43,128}$/;

/** `<prefix><grant id>.<secret>`. */
export function formatHandle(kind: HandleKind, grantId: string, secret: string): string {
  return `${HANDLE_PREFIX[kind]}${grantId}.${secret}`;
}

/** Splits a presented credential; `undefined` for anything not of the expected kind and shape. */
export function parseHandle(kind: HandleKind, value: string | undefined | null): Handle | undefined {
  if (typeof value !== "string") return undefined;
  const prefix = HANDLE_PREFIX[kind];
  if (!value.startsWith(prefix)) return undefined;
  const [grantId, secret, extra] = value.slice(prefix.length).split(".");
  if (extra !== undefined || !grantId || !secret || !GRANT_ID.test(grantId) || !SECRET.test(secret)) return undefined;
  return { grantId, secret };
}
