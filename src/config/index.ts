// Parses the Worker's environment once into a typed, bounded configuration. It fails closed: every bad or
// missing value becomes a problem naming its variable, and the flow endpoints refuse to run until it is fixed.
import * as z from "zod";
import type { ConfigVars } from "../env";
import { isLoopbackHost } from "./loopback";
import { type McpServer, parseServers } from "./servers";

export { isLoopbackHost };

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
  type: "oidc" | "oauth2";
  /** OIDC issuer (discovery is fetched from it); for `oauth2` providers an identifier only. */
  issuer: string;
  clientId: string;
  clientSecret?: string;
  scopes: string;
  /** Explicit endpoints: required for `oauth2`, optional overrides for `oidc`. */
  authorizationEndpoint?: string;
  tokenEndpoint?: string;
  userinfoEndpoint?: string;
  claims: ClaimMap;
  allowUnverifiedEmail: boolean;
  /** The built-in development IdP, reached in-process rather than over the network. */
  builtIn: boolean;
}

/** A client declared by the operator (`STATIC_CLIENTS`); its secret, when any, is kept only as a SHA-256 hash. */
export interface StaticClient {
  clientId: string;
  clientName: string;
  redirectUris: string[];
  grantTypes: string[];
  tokenEndpointAuthMethod: "none" | "client_secret_basic" | "client_secret_post";
  /** The plain secret as configured (a wrangler secret); hashed when the client is looked up. */
  clientSecret?: string;
  applicationType: "web" | "native";
  /** A resource server allowed to call /introspect (`"introspection": true`); confidential only. */
  introspection: boolean;
}

export interface Config {
  publicUrl: string;
  issuer: string;
  mcpResource: string;
  /** Scopes a client may ask for (not counting `offline_access`). */
  scopes: string[];
  defaultScopes: string[];
  upstreams: UpstreamProvider[];
  devIdp: boolean;
  requireAuth: boolean;
  /** `RATE_LIMITS=false` turns the rate-limit bindings off (load tests); on by default. */
  rateLimits: boolean;
  emailPolicy: "any" | "work";
  allowedEmailDomains: string[];
  accessTokenTtl: number;
  refreshIdleTtl: number;
  refreshMaxTtl: number;
  refreshReplayWindow: number;
  /** Seconds after the person last authenticated upstream during which single sign-on may lend that login. */
  ssoMaxAge: number;
  /** Seconds an isolate trusts a grant's "live" answer at /mcp (0 = ask the grant on every request). */
  livenessCacheTtl: number;
  keyRotationDays: number;
  branding: { serviceName: string; logoUrl?: string; privacyUrl?: string; signupUrl?: string };
  captureWebhook?: { url: string; secret: string };
  adminToken?: string;
  /** Pre-registered clients (`STATIC_CLIENTS`), found before D1. */
  staticClients: StaticClient[];
  /** The origin MCP servers behind the gateway (`MCP_SERVERS`, src/config/servers.ts). */
  servers: McpServer[];
  /** Days security events are kept (`EVENT_RETENTION_DAYS`); the sweep deletes older ones. */
  eventRetentionDays: number;
  /** Most dynamically registered clients kept at once (`MAX_DCR_CLIENTS`); /register answers 503 beyond. */
  maxDcrClients: number;
  /** Most cached metadata documents kept at once (`MAX_CIMD_CLIENTS`); beyond, a new document URL is refused. */
  maxCimdClients: number;
  /** Most never-used registrations from one source (`MAX_DCR_CLIENTS_PER_SOURCE`); /register answers 429 beyond. */
  maxDcrClientsPerSource: number;
  /** base64url AES-256 key sealing upstream tokens in grants (src/tokens/seal.ts); absent → a key kept in the KeyRing. */
  upstreamTokenKey?: string;
  /** Why the flow endpoints are refused; empty when the configuration is complete. */
  problems: ConfigProblem[];
  warnings: string[];
}

export interface ConfigProblem {
  variable: string;
  message: string;
}

const DAY = 86_400;

const DEFAULT_CLAIMS: ClaimMap = {
  subject: "sub",
  email: "email",
  emailVerified: "email_verified",
  name: "name",
  orgId: "org_id",
  orgName: "org_name",
};


const staticClientEntry = z.object({
  client_id: z.string().min(1).max(200),
  client_name: z.string().min(1).max(128),
  redirect_uris: z.array(z.string().min(1)).max(20).default([]),
  grant_types: z.array(z.enum(["authorization_code", "refresh_token"])).default(["authorization_code", "refresh_token"]),
  token_endpoint_auth_method: z.enum(["none", "client_secret_basic", "client_secret_post"]).default("none"),
  client_secret: z.string().min(32).optional(),
  application_type: z.enum(["web", "native"]).default("web"),
  introspection: z.boolean().default(false),
});

const upstreamEntry = z.object({
  name: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,31}$/, "name must be a short lowercase slug"),
  label: z.string().min(1).max(64).optional(),
  type: z.enum(["oidc", "oauth2"]).default("oidc"),
  issuer: z.string().url(),
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

/** Reads the environment into a `Config`; never throws. */
export function parseConfig(env: ConfigVars): Config {
  const problems: ConfigProblem[] = [];
  const warnings: string[] = [];
  const problem = (variable: string, message: string) => problems.push({ variable, message });

  const flag = (variable: keyof ConfigVars, fallback: boolean): boolean => {
    const raw = text(env[variable]);
    if (raw === undefined) return fallback;
    if (/^(true|1|yes)$/i.test(raw)) return true;
    if (/^(false|0|no)$/i.test(raw)) return false;
    problem(variable, "must be true or false");
    return fallback;
  };
  const seconds = (variable: keyof ConfigVars, fallback: number, min: number, max: number): number => {
    const raw = text(env[variable]);
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min || value > max) {
      problem(variable, `must be a whole number from ${min} to ${max}`);
      return fallback;
    }
    return value;
  };
  const url = (variable: keyof ConfigVars): string | undefined => {
    const raw = text(env[variable]);
    if (raw === undefined) return undefined;
    if (!isHttpUrl(raw)) {
      problem(variable, "must be an absolute http(s) URL");
      return undefined;
    }
    return raw;
  };

  let publicUrl = "http://localhost:8787";
  const rawPublicUrl = text(env.PUBLIC_URL);
  if (rawPublicUrl === undefined) {
    problem("PUBLIC_URL", "is required (the issuer URL, e.g. https://auth.example.com)");
  } else {
    const parsed = safeUrl(rawPublicUrl);
    if (!parsed || (parsed.protocol !== "https:" && parsed.protocol !== "http:")) {
      problem("PUBLIC_URL", "must be an absolute https URL");
    } else if (parsed.pathname !== "/" || parsed.search || parsed.hash || parsed.username || parsed.password) {
      problem("PUBLIC_URL", "must be an origin only, with no path, query, fragment or credentials");
    } else if (parsed.protocol === "http:" && !isLoopbackHost(parsed.hostname)) {
      problem("PUBLIC_URL", "must use https unless the host is loopback");
    } else {
      publicUrl = parsed.origin;
      if (parsed.protocol === "http:") warnings.push("PUBLIC_URL uses plain http (loopback only: development)");
    }
  }
  const loopback = isLoopbackHost(new URL(publicUrl).hostname);

  const scopes = words(env.SCOPES) ?? ["mcp"];
  if (scopes.some((s) => !/^[\x21\x23-\x5b\x5d-\x7e]+$/.test(s)) || scopes.includes("offline_access")) {
    problem("SCOPES", "must be space-separated scope tokens (RFC 6749 §3.3), not including offline_access");
  }

  const devIdp = flag("DEV_IDP", false);
  if (devIdp && !loopback) problem("DEV_IDP", "is refused unless PUBLIC_URL is a loopback URL");
  if (devIdp) warnings.push("DEV_IDP is on: anyone can sign in as any email (development only)");

  const upstreams: UpstreamProvider[] = [];
  const allowUnverifiedEmail = flag("ALLOW_UNVERIFIED_EMAIL", false);
  const singleIssuer = text(env.UPSTREAM_ISSUER);
  if (singleIssuer !== undefined) {
    const clientId = text(env.UPSTREAM_CLIENT_ID);
    if (!isHttpUrl(singleIssuer)) problem("UPSTREAM_ISSUER", "must be an absolute https URL");
    else if (!clientId) problem("UPSTREAM_CLIENT_ID", "is required with UPSTREAM_ISSUER");
    else {
      const claims = { ...DEFAULT_CLAIMS };
      claims.orgId = text(env.UPSTREAM_ORG_ID_CLAIM) ?? claims.orgId;
      claims.orgName = text(env.UPSTREAM_ORG_NAME_CLAIM) ?? claims.orgName;
      upstreams.push({
        name: "default",
        label: new URL(singleIssuer).hostname,
        type: "oidc",
        issuer: singleIssuer,
        clientId,
        clientSecret: text(env.UPSTREAM_CLIENT_SECRET),
        scopes: text(env.UPSTREAM_SCOPES) ?? "openid email profile",
        claims,
        allowUnverifiedEmail,
        builtIn: false,
      });
    }
  }
  const rawUpstreams = text(env.UPSTREAMS);
  if (rawUpstreams !== undefined) {
    const parsed = z.array(upstreamEntry).min(1).safeParse(safeJson(rawUpstreams));
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      problem("UPSTREAMS", `must be a JSON array of providers (${issue ? `${issue.path.join(".") || "value"}: ${issue.message}` : "invalid"})`);
    } else {
      for (const entry of parsed.data) {
        if (entry.type === "oauth2" && (!entry.authorization_endpoint || !entry.token_endpoint || !entry.userinfo_endpoint)) {
          problem("UPSTREAMS", `provider "${entry.name}" of type oauth2 needs authorization_endpoint, token_endpoint and userinfo_endpoint`);
          continue;
        }
        upstreams.push({
          name: entry.name,
          label: entry.label ?? entry.name,
          type: entry.type,
          issuer: entry.issuer,
          clientId: entry.client_id,
          clientSecret: entry.client_secret,
          scopes: entry.scopes ?? (entry.type === "oidc" ? "openid email profile" : ""),
          authorizationEndpoint: entry.authorization_endpoint,
          tokenEndpoint: entry.token_endpoint,
          userinfoEndpoint: entry.userinfo_endpoint,
          claims: {
            subject: entry.claims?.subject ?? (entry.type === "oauth2" ? "id" : DEFAULT_CLAIMS.subject),
            email: entry.claims?.email ?? DEFAULT_CLAIMS.email,
            emailVerified: entry.claims?.email_verified ?? DEFAULT_CLAIMS.emailVerified,
            name: entry.claims?.name ?? DEFAULT_CLAIMS.name,
            orgId: entry.claims?.org_id ?? DEFAULT_CLAIMS.orgId,
            orgName: entry.claims?.org_name ?? DEFAULT_CLAIMS.orgName,
          },
          allowUnverifiedEmail: entry.allow_unverified_email ?? allowUnverifiedEmail,
          builtIn: false,
        });
      }
    }
  }
  if (devIdp && loopback) {
    upstreams.push({
      name: "dev",
      label: "Development sign-in",
      type: "oidc",
      issuer: `${publicUrl}/dev-idp`,
      clientId: "gatehouse",
      scopes: "openid email profile",
      claims: DEFAULT_CLAIMS,
      allowUnverifiedEmail,
      builtIn: true,
    });
  }
  for (const upstream of upstreams) {
    const issuerUrl = safeUrl(upstream.issuer);
    if (issuerUrl?.protocol === "http:" && !(loopback && isLoopbackHost(issuerUrl.hostname))) {
      problem(upstream.name === "default" ? "UPSTREAM_ISSUER" : "UPSTREAMS", `issuer ${upstream.issuer} must use https unless both it and PUBLIC_URL are loopback`);
    }
  }
  if (new Set(upstreams.map((u) => u.name)).size !== upstreams.length) problem("UPSTREAMS", "provider names must be unique");
  if (upstreams.length === 0 && !problems.some((p) => p.variable.startsWith("UPSTREAM") || p.variable === "DEV_IDP")) {
    problem("UPSTREAM_ISSUER", "no identity provider is configured: set UPSTREAM_ISSUER and UPSTREAM_CLIENT_ID, or UPSTREAMS");
  }

  const emailPolicyRaw = text(env.EMAIL_POLICY) ?? "any";
  let emailPolicy: Config["emailPolicy"] = "any";
  if (emailPolicyRaw === "any" || emailPolicyRaw === "work") emailPolicy = emailPolicyRaw;
  else problem("EMAIL_POLICY", "must be any or work");
  const allowedEmailDomains = (text(env.ALLOWED_EMAIL_DOMAINS) ?? "")
    .split(/[\s,]+/)
    .map((d) => d.trim().toLowerCase())
    .filter(Boolean);
  if (allowedEmailDomains.some((d) => !/^[a-z0-9.-]+\.[a-z]{2,}$/.test(d))) problem("ALLOWED_EMAIL_DOMAINS", "must be a comma-separated list of domain names");

  const accessTokenTtl = seconds("ACCESS_TOKEN_TTL", 3600, 60, DAY);
  const refreshIdleTtl = seconds("REFRESH_IDLE_TTL", 30 * DAY, 3600, 365 * DAY);
  const refreshMaxTtl = seconds("REFRESH_MAX_TTL", 90 * DAY, 3600, 365 * DAY);
  if (refreshMaxTtl < refreshIdleTtl) problem("REFRESH_MAX_TTL", "must not be shorter than REFRESH_IDLE_TTL");
  const refreshReplayWindow = seconds("REFRESH_REPLAY_WINDOW", 30, 0, 300);
  const ssoMaxAge = seconds("SSO_MAX_AGE", DAY, 0, 30 * DAY);
  if (ssoMaxAge > refreshMaxTtl) problem("SSO_MAX_AGE", "must not be longer than REFRESH_MAX_TTL");
  const livenessCacheTtl = seconds("LIVENESS_CACHE_TTL", 30, 0, 30);
  const keyRotationDays = seconds("KEY_ROTATION_DAYS", 30, 1, 365);

  let webhookUrl = url("CAPTURE_WEBHOOK_URL");
  // The body names people (email, organisation) and the signature does not hide it: plain http only to this machine.
  if (webhookUrl && new URL(webhookUrl).protocol === "http:" && !isLoopbackHost(new URL(webhookUrl).hostname)) {
    problem("CAPTURE_WEBHOOK_URL", "must use https unless the host is loopback");
    webhookUrl = undefined;
  }
  const webhookSecret = text(env.CAPTURE_WEBHOOK_SECRET);
  if (webhookUrl && !webhookSecret) problem("CAPTURE_WEBHOOK_SECRET", "is required with CAPTURE_WEBHOOK_URL");

  const adminToken = text(env.ADMIN_TOKEN);
  if (adminToken !== undefined && adminToken.length < 32) problem("ADMIN_TOKEN", "must be at least 32 characters");

  const staticClients: StaticClient[] = [];
  const staticRaw = text(env.STATIC_CLIENTS);
  if (staticRaw !== undefined) {
    const parsed = z.array(staticClientEntry).max(100).safeParse(safeJson(staticRaw));
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      problem("STATIC_CLIENTS", `must be a JSON array of clients (${issue?.path.join(".") || "value"}: ${issue?.message ?? "invalid"})`);
    } else {
      for (const entry of parsed.data) {
        if ((entry.token_endpoint_auth_method === "none") !== (entry.client_secret === undefined)) {
          problem("STATIC_CLIENTS", `client ${entry.client_id} needs a client_secret (of 32 or more characters) exactly when it authenticates with one`);
        }
        // RFC 7662 §2.1: the endpoint answers only callers it has authenticated; a public client proves nothing.
        if (entry.introspection && entry.token_endpoint_auth_method === "none") {
          problem("STATIC_CLIENTS", `client ${entry.client_id} may introspect only when it authenticates with a client_secret`);
        }
        if (entry.redirect_uris.length === 0 && !entry.introspection) {
          problem("STATIC_CLIENTS", `client ${entry.client_id} needs redirect_uris (only an introspection-only resource server may omit them)`);
        }
        staticClients.push({
          clientId: entry.client_id,
          clientName: entry.client_name,
          redirectUris: entry.redirect_uris,
          grantTypes: entry.grant_types.includes("authorization_code") ? entry.grant_types : ["authorization_code", ...entry.grant_types],
          tokenEndpointAuthMethod: entry.token_endpoint_auth_method,
          clientSecret: entry.client_secret,
          applicationType: entry.application_type,
          introspection: entry.introspection,
        });
      }
    }
  }
  const maxDcrClients = seconds("MAX_DCR_CLIENTS", 10_000, 1, 10_000_000);
  const maxCimdClients = seconds("MAX_CIMD_CLIENTS", 10_000, 1, 10_000_000);
  const maxDcrClientsPerSource = seconds("MAX_DCR_CLIENTS_PER_SOURCE", 100, 1, 10_000_000);
  const eventRetentionDays = seconds("EVENT_RETENTION_DAYS", 90, 1, 3650);

  const upstreamTokenKey = text(env.UPSTREAM_TOKEN_KEY);
  if (upstreamTokenKey !== undefined && !/^[A-Za-z0-9_-]{43}$/.test(upstreamTokenKey)) problem("UPSTREAM_TOKEN_KEY", "must be 32 random bytes in base64url (43 characters)");

  const rateLimits = flag("RATE_LIMITS", true);
  if (!rateLimits) warnings.push("RATE_LIMITS is false: /register, /authorize, /callback, /token, /revoke, /introspect and /mcp are not rate limited");
  const requireAuth = flag("REQUIRE_AUTH", true);
  if (!requireAuth) warnings.push("REQUIRE_AUTH is false: anonymous requests reach /mcp");

  return {
    publicUrl,
    issuer: publicUrl,
    mcpResource: `${publicUrl}/mcp`,
    scopes,
    defaultScopes: scopes,
    upstreams,
    devIdp: devIdp && loopback,
    requireAuth,
    rateLimits,
    emailPolicy,
    allowedEmailDomains,
    accessTokenTtl,
    refreshIdleTtl,
    refreshMaxTtl,
    refreshReplayWindow,
    ssoMaxAge,
    livenessCacheTtl,
    keyRotationDays,
    branding: {
      serviceName: text(env.SERVICE_NAME) ?? "Gatehouse",
      logoUrl: url("LOGO_URL"),
      privacyUrl: url("PRIVACY_URL"),
      signupUrl: url("SIGNUP_URL"),
    },
    captureWebhook: webhookUrl && webhookSecret ? { url: webhookUrl, secret: webhookSecret } : undefined,
    adminToken,
    staticClients,
    servers: parseServers(env.MCP_SERVERS, problems, { publicUrl, scopes }),
    maxDcrClients,
    maxCimdClients,
    maxDcrClientsPerSource,
    eventRetentionDays,
    upstreamTokenKey,
    problems,
    warnings,
  };
}

const cache = new WeakMap<object, Config>();

/** `parseConfig`, memoised per environment object (one parse per isolate), logging problems once. */
export function loadConfig(env: ConfigVars): Config {
  let config = cache.get(env);
  if (!config) {
    config = parseConfig(env);
    cache.set(env, config);
    for (const p of config.problems) console.error(JSON.stringify({ event: "config.invalid", variable: p.variable, message: p.message }));
    for (const w of config.warnings) console.warn(JSON.stringify({ event: "config.warning", message: w }));
  }
  return config;
}

function text(value: unknown): string | undefined {
  if (typeof value !== "string") return undefined;
  const trimmed = value.trim();
  return trimmed === "" ? undefined : trimmed;
}

function words(value: unknown): string[] | undefined {
  const raw = text(value);
  return raw === undefined ? undefined : raw.split(/\s+/);
}

function safeUrl(value: string): URL | undefined {
  try {
    return new URL(value);
  } catch {
    return undefined;
  }
}

function isHttpUrl(value: string): boolean {
  const parsed = safeUrl(value);
  return parsed !== undefined && (parsed.protocol === "https:" || parsed.protocol === "http:");
}

function safeJson(value: string): unknown {
  try {
    return JSON.parse(value);
  } catch {
    return undefined;
  }
}
