// Who is calling: the one identity Gatehouse verifies (upstream sign-in, grant, access token, /mcp caller, browser
// session), the views each layer keeps of it, and the one mapper to and from each wire format that carries it.

/** A person Gatehouse verified: who signed in at which upstream, under the stable id Gatehouse gave them. */
export interface Identity {
  /** Stable internal user id (D1 `users.id`, `usr_…`): the access token's `sub`. */
  userId: string;
  /** The upstream provider that signed the person in (config.upstreams[].name). */
  provider: string;
  /** The person's subject at that provider. */
  subject: string;
  email?: string;
  emailVerified: boolean;
  /** Lower-cased domain part of `email`. */
  domain?: string;
  name?: string;
  orgId?: string;
  orgName?: string;
}

/** What an upstream login says, before the person has a user id (src/db/users.ts `resolveUser` gives one). */
export type UpstreamIdentity = Omit<Identity, "userId">;

/** The person as a grant remembers them: the upstream subject stays in D1 `users`. */
export type GrantIdentity = Omit<Identity, "subject">;

/**
 * The person as an access token names them: `subject` is the user id (`sub`), and `emailVerified` is absent when
 * the token does not say. @see https://www.rfc-editor.org/rfc/rfc9068#section-2.2
 */
export type TokenIdentity = { subject: string } & Pick<Identity, "email" | "domain" | "orgId" | "orgName"> & Partial<Pick<Identity, "emailVerified">>;

/** The verified caller of `/mcp`, attached by the bearer middleware. */
export interface Caller extends TokenIdentity {
  clientId: string;
  scopes: string[];
  grantId: string;
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

/** The attribution claims of access tokens and introspection responses (docs/storage.md); `undefined` ones are left out. */
export interface IdentityClaims {
  email?: string;
  email_verified?: boolean;
  domain?: string;
  org_id?: string;
  org_name?: string;
}

/** What a token says of a grant's person. */
export function tokenIdentity(user: GrantIdentity): TokenIdentity {
  return { subject: user.userId, email: user.email, emailVerified: user.emailVerified, domain: user.domain, orgId: user.orgId, orgName: user.orgName };
}

/** The claims an access token (RFC 9068 §2.2) or an introspection response (RFC 7662 §2.2) carries for `identity`. */
export function identityClaims(identity: TokenIdentity): IdentityClaims {
  return { email: identity.email, email_verified: identity.emailVerified, domain: identity.domain, org_id: identity.orgId, org_name: identity.orgName };
}

/** The person named by a verified access token's `sub` and attribution claims. */
export function identityOfClaims(claims: IdentityClaims & { sub: string }): TokenIdentity {
  return { subject: claims.sub, email: claims.email, emailVerified: claims.email_verified, domain: claims.domain, orgId: claims.org_id, orgName: claims.org_name };
}

/** The person's attributes as the JSON documents of the webhook (docs/webhooks.md) and the admin API show them: unknown is `null`. */
export function identityRecord(identity: Omit<Identity, "userId" | "provider" | "subject">) {
  return {
    email: identity.email ?? null,
    email_verified: identity.emailVerified,
    domain: identity.domain ?? null,
    org_id: identity.orgId ?? null,
    org_name: identity.orgName ?? null,
    name: identity.name ?? null,
  };
}
