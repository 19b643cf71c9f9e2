// The identity providers a person signs in with: one OIDC provider (UPSTREAM_*), several (UPSTREAMS, GitHub among
// them as `type: "github"`), and the built-in development IdP (DEV_IDP), read, refused off loopback and warned about only here.
import * as z from "zod";
import { type Reader, isHttpUrl, isLoopbackHost } from "./reader";
import { parseUrl } from "../lib/url";

/** Claim names read from an upstream ID token or userinfo response (dot paths allowed, e.g. `org.id`). */
export interface ClaimMap {
  subject: string;
  email: string;
  emailVerified: string;
  name: string;
  orgId: string;
  orgName: string;
}

/** One upstream identity provider the human signs in with. */
export interface UpstreamProvider {
  name: string;
  label: string;
  /** `github`: GitHub or GitHub Enterprise Server (OAuth Apps and GitHub Apps), a plain OAuth 2.0 provider with its own dialect. */
  type: "oidc" | "oauth2" | "github";
  /** OIDC issuer (discovery is fetched from it); for `oauth2` and `github` providers an identifier only. */
  issuer: string;
  clientId: string;
  clientSecret?: string;
  scopes: string;
  /** Explicit endpoints: required for `oauth2`, optional overrides for `oidc`. */
  authorizationEndpoint?: string;
  tokenEndpoint?: string;
  userinfoEndpoint?: string;
  /** GitHub's `/user/emails`, where the verified primary address comes from (src/upstream/github.ts). */
  emailsEndpoint?: string;
  /** GitHub's `DELETE /applications/{client_id}/token`, where vaulted tokens are revoked (it has no RFC 7009 endpoint). */
  tokenDeletionEndpoint?: string;
  claims: ClaimMap;
  allowUnverifiedEmail: boolean;
  /** The built-in development IdP, reached in-process rather than over the network. */
  builtIn: boolean;
}

export interface Upstreams {
  upstreams: UpstreamProvider[];
  devIdp: boolean;
}

const DEFAULT_CLAIMS: ClaimMap = {
  subject: "sub",
  email: "email",
  emailVerified: "email_verified",
  name: "name",
  orgId: "org_id",
  orgName: "org_name",
};

const OIDC_SCOPES = "openid email profile";
/** What a GitHub OAuth App asks for: the profile and the email addresses (GitHub Apps ignore scopes: their permissions apply). */
const GITHUB_SCOPES = "read:user user:email";
/** GitHub.com; GitHub Enterprise Server serves the same paths at its own host, its REST API under `/api/v3`. */
const GITHUB = { web: "https://github.com", api: "https://api.github.com" };
/** The user endpoint of GitHub.com, which an `oauth2` entry written for GitHub before `type: "github"` existed names. */
const GITHUB_USER_ENDPOINT = `${GITHUB.api}/user`;

const upstreamEntry = z.object({
  name: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,31}$/, "name must be a short lowercase slug"),
  label: z.string().min(1).max(64).optional(),
  type: z.enum(["oidc", "oauth2", "github"]).default("oidc"),
  /** Required but for `github`, where it defaults to the web base URL. */
  issuer: z.string().url().optional(),
  /** `github` only: a GitHub Enterprise Server's base URL, e.g. `https://github.example.com`. */
  base_url: z
    .string()
    .url()
    .regex(/^[^?#]*[^/?#]$/, "must have no trailing slash, query or fragment")
    .optional(),
  client_id: z.string().min(1),
  client_secret: z.string().min(1).optional(),
  scopes: z.string().optional(),
  authorization_endpoint: z.string().url().optional(),
  token_endpoint: z.string().url().optional(),
  userinfo_endpoint: z.string().url().optional(),
  allow_unverified_email: z.boolean().optional(),
  claims: z
    .object({
      subject: z.string(),
      email: z.string(),
      email_verified: z.string(),
      name: z.string(),
      org_id: z.string(),
      org_name: z.string(),
    })
    .partial()
    .optional(),
});

/** The providers, in the order the sign-in page lists them; `publicUrl` decides whether loopback rules apply. */
export function parseUpstreams(read: Reader, publicUrl: string): Upstreams {
  const loopback = isLoopbackHost(new URL(publicUrl).hostname);
  const allowUnverifiedEmail = read.flag("ALLOW_UNVERIFIED_EMAIL", false);
  const reported = read.problems.length;

  const devIdp = read.flag("DEV_IDP", false);
  if (devIdp && !loopback) read.problem("DEV_IDP", "is refused unless PUBLIC_URL is a loopback URL");
  if (devIdp) read.warn("DEV_IDP is on: anyone can sign in as any email (development only)");

  const upstreams = [...singleProvider(read, allowUnverifiedEmail), ...listedProviders(read, allowUnverifiedEmail)];
  if (devIdp && loopback) upstreams.push(devProvider(publicUrl, allowUnverifiedEmail));

  for (const upstream of upstreams) {
    const issuerUrl = parseUrl(upstream.issuer);
    if (issuerUrl?.protocol === "http:" && !(loopback && isLoopbackHost(issuerUrl.hostname))) {
      read.problem(upstream.name === "default" ? "UPSTREAM_ISSUER" : "UPSTREAMS", `issuer ${upstream.issuer} must use https unless both it and PUBLIC_URL are loopback`);
    }
  }
  if (new Set(upstreams.map((u) => u.name)).size !== upstreams.length) read.problem("UPSTREAMS", "provider names must be unique");
  // A provider problem above already names what to fix; this one is for a configuration that names none at all.
  if (upstreams.length === 0 && read.problems.length === reported) {
    read.problem("UPSTREAM_ISSUER", "no identity provider is configured: set UPSTREAM_ISSUER and UPSTREAM_CLIENT_ID, or UPSTREAMS");
  }
  return { upstreams, devIdp: devIdp && loopback };
}

function singleProvider(read: Reader, allowUnverifiedEmail: boolean): UpstreamProvider[] {
  const issuer = read.text("UPSTREAM_ISSUER");
  if (issuer === undefined) return [];
  const clientId = read.text("UPSTREAM_CLIENT_ID");
  if (!isHttpUrl(issuer)) {
    read.problem("UPSTREAM_ISSUER", "must be an absolute https URL");
    return [];
  }
  if (!clientId) {
    read.problem("UPSTREAM_CLIENT_ID", "is required with UPSTREAM_ISSUER");
    return [];
  }
  const claims = {
    ...DEFAULT_CLAIMS,
    orgId: read.text("UPSTREAM_ORG_ID_CLAIM") ?? DEFAULT_CLAIMS.orgId,
    orgName: read.text("UPSTREAM_ORG_NAME_CLAIM") ?? DEFAULT_CLAIMS.orgName,
  };
  return [
    {
      name: "default",
      label: new URL(issuer).hostname,
      type: "oidc",
      issuer,
      clientId,
      clientSecret: read.text("UPSTREAM_CLIENT_SECRET"),
      scopes: read.text("UPSTREAM_SCOPES") ?? OIDC_SCOPES,
      claims,
      allowUnverifiedEmail,
      builtIn: false,
    },
  ];
}

function listedProviders(read: Reader, allowUnverifiedEmail: boolean): UpstreamProvider[] {
  const entries = read.json("UPSTREAMS", z.array(upstreamEntry).min(1), "a JSON array of providers") ?? [];
  const providers: UpstreamProvider[] = [];
  for (const entry of entries) {
    if (entry.type === "github") {
      providers.push(githubProvider(entry, allowUnverifiedEmail));
      continue;
    }
    if (entry.base_url !== undefined) {
      read.problem("UPSTREAMS", `provider "${entry.name}": base_url is for type github only`);
      continue;
    }
    if (entry.issuer === undefined) {
      read.problem("UPSTREAMS", `provider "${entry.name}" needs an issuer`);
      continue;
    }
    if (entry.type === "oauth2" && (!entry.authorization_endpoint || !entry.token_endpoint || !entry.userinfo_endpoint)) {
      read.problem("UPSTREAMS", `provider "${entry.name}" of type oauth2 needs authorization_endpoint, token_endpoint and userinfo_endpoint`);
      continue;
    }
    providers.push({
      ...common(entry, allowUnverifiedEmail),
      type: entry.type,
      issuer: entry.issuer,
      scopes: entry.scopes ?? (entry.type === "oidc" ? OIDC_SCOPES : ""),
      authorizationEndpoint: entry.authorization_endpoint,
      tokenEndpoint: entry.token_endpoint,
      userinfoEndpoint: entry.userinfo_endpoint,
      // An oauth2 entry for GitHub.com (the way to configure it before `type: "github"`) keeps the email lookup.
      emailsEndpoint: entry.userinfo_endpoint === GITHUB_USER_ENDPOINT ? `${GITHUB_USER_ENDPOINT}/emails` : undefined,
      claims: claimMap(entry, entry.type === "oauth2" ? "id" : DEFAULT_CLAIMS.subject),
    });
  }
  return providers;
}

/**
 * GitHub.com, or a GitHub Enterprise Server at `base_url`: its OAuth endpoints under `/login/oauth/`, its REST API at
 * `api.github.com` (or `<base_url>/api/v3`), the numeric account `id` as subject (a login can be renamed, the id
 * never changes). Explicit endpoints still override.
 * @see https://docs.github.com/en/apps/oauth-apps/building-oauth-apps/authorizing-oauth-apps#web-application-flow
 * @see https://docs.github.com/en/enterprise-server@latest/rest/quickstart (the `/api/v3` base)
 */
function githubProvider(entry: z.infer<typeof upstreamEntry>, allowUnverifiedEmail: boolean): UpstreamProvider {
  const web = entry.base_url ?? GITHUB.web;
  const api = entry.base_url === undefined ? GITHUB.api : `${entry.base_url}/api/v3`;
  const userinfoEndpoint = entry.userinfo_endpoint ?? `${api}/user`;
  return {
    ...common(entry, allowUnverifiedEmail),
    label: entry.label ?? (entry.base_url === undefined ? "GitHub" : new URL(web).hostname),
    type: "github",
    issuer: entry.issuer ?? web,
    scopes: entry.scopes ?? GITHUB_SCOPES,
    authorizationEndpoint: entry.authorization_endpoint ?? `${web}/login/oauth/authorize`,
    tokenEndpoint: entry.token_endpoint ?? `${web}/login/oauth/access_token`,
    userinfoEndpoint,
    emailsEndpoint: `${userinfoEndpoint}/emails`,
    tokenDeletionEndpoint: `${api}/applications/${encodeURIComponent(entry.client_id)}/token`,
    claims: claimMap(entry, "id"),
  };
}

/** What every listed provider takes the same way. */
function common(entry: z.infer<typeof upstreamEntry>, allowUnverifiedEmail: boolean) {
  return {
    name: entry.name,
    label: entry.label ?? entry.name,
    clientId: entry.client_id,
    clientSecret: entry.client_secret,
    allowUnverifiedEmail: entry.allow_unverified_email ?? allowUnverifiedEmail,
    builtIn: false,
  };
}

/** The entry's claim paths over the defaults; `subject` is where the provider names the account. */
function claimMap(entry: z.infer<typeof upstreamEntry>, subject: string): ClaimMap {
  return {
    // GitHub-style OAuth 2.0 user APIs name the account `id`; OIDC Core §5.1 names it `sub`.
    subject: entry.claims?.subject ?? subject,
    email: entry.claims?.email ?? DEFAULT_CLAIMS.email,
    emailVerified: entry.claims?.email_verified ?? DEFAULT_CLAIMS.emailVerified,
    name: entry.claims?.name ?? DEFAULT_CLAIMS.name,
    orgId: entry.claims?.org_id ?? DEFAULT_CLAIMS.orgId,
    orgName: entry.claims?.org_name ?? DEFAULT_CLAIMS.orgName,
  };
}

function devProvider(publicUrl: string, allowUnverifiedEmail: boolean): UpstreamProvider {
  return {
    name: "dev",
    label: "Development sign-in",
    type: "oidc",
    issuer: `${publicUrl}/dev-idp`,
    clientId: "gatehouse",
    scopes: OIDC_SCOPES,
    claims: DEFAULT_CLAIMS,
    allowUnverifiedEmail,
    builtIn: true,
  };
}
