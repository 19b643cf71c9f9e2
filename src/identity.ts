// Who is calling: the identities Gatehouse verified (upstream sign-in, browser session, /mcp caller), as every
// layer sees them.

/** The verified caller of `/mcp`, attached by the bearer middleware. */
export interface Caller {
  subject: string;
  clientId: string;
  scopes: string[];
  grantId: string;
  email?: string;
  emailVerified?: boolean;
  domain?: string;
  orgId?: string;
  orgName?: string;
}

/** The verified identity of the person who signed in upstream. */
export interface UpstreamIdentity {
  provider: string;
  subject: string;
  email?: string;
  emailVerified: boolean;
  /** Lower-cased domain part of `email`. */
  domain?: string;
  name?: string;
  orgId?: string;
  orgName?: string;
}

/** The person a browser's session cookie names (src/tokens/session-token.ts). */
export interface Session {
  /** D1 `users.id`. */
  userId: string;
  /** The upstream provider that signed the person in. */
  provider: string;
  /** When the sign-in happened, epoch milliseconds: "sign out everywhere" ends sessions that began before it. */
  signedInAt: number;
}
