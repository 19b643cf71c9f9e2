// Validation of an authorization request (GET /authorize and the consent form's POST), pure: the client record is
// looked up by the caller. Errors come in RFC 6749 §4.1.2.1 order: client and redirect URI first (shown as a page,
// never redirected to), then everything else (redirected to the now trusted redirect URI).
import type { Config } from "../config";
import type { ClientRecord } from "../db/clients";
import { OAuthError, PageError } from "../errors";
import { uniqueParams } from "../lib/params";
import { CODE_CHALLENGE, PKCE_METHOD } from "./pkce";
import { checkRedirectUri, matchRedirectUri } from "./redirect-uri";
import { protectedResources, resolveResource } from "./resource";
import { narrowScope } from "./scope";

/** The validated authorization request a grant is created for. */
export interface AuthorizationParams {
  clientId: string;
  /** The redirect URI the response goes to (as presented; a loopback URI may differ from the registered one by port). */
  redirectUri: string;
  /** Whether `redirect_uri` was in the request: then /token requires the same value. @see RFC 6749 §4.1.3 */
  redirectUriSent: boolean;
  /** Space-separated granted scopes, `offline_access` included when asked for. */
  scope: string;
  /** The RFC 8707 resource the tokens are bound to. */
  resource: string;
  /** The client's PKCE S256 challenge. */
  codeChallenge: string;
  /** The client's `state`, echoed on the redirect back. */
  state?: string;
}

/** Longest client `state` kept and echoed; real ones are far shorter. */
export const MAX_STATE_LENGTH = 4096;

/** A validated request: what the grant stores, plus the OIDC `prompt` values passed on upstream. */
export interface AuthorizationRequest extends AuthorizationParams {
  prompt: string[];
}

export type AuthorizationCheck =
  | { ok: true; client: ClientRecord; request: AuthorizationRequest }
  /** The client or redirect URI cannot be trusted: show the person a page. */
  | { ok: false; page: PageError }
  /** Anything else: send the error back to the validated redirect URI. */
  | { ok: false; redirectUri: string; state?: string; error: OAuthError };

/** The single `client_id` of a request, if it has exactly one (the caller looks the client up with it). */
export function requestedClientId(params: URLSearchParams): string | undefined {
  const ids = params.getAll("client_id");
  return ids.length === 1 && ids[0] ? ids[0] : undefined;
}

/**
 * Validates `params` for `client` (`undefined` when unknown). Parameters must not repeat (RFC 6749 §3.1).
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.1.2.1
 * @see https://datatracker.ietf.org/doc/html/draft-ietf-oauth-v2-1-13#section-4.1.1
 */
export function checkAuthorizationRequest(config: Config, client: ClientRecord | undefined, params: URLSearchParams): AuthorizationCheck {
  const ids = params.getAll("client_id");
  if (ids.length === 0 || !ids[0]) return page("Missing application", "The sign-in link has no client_id, so it cannot say which application is asking.", "client_id missing");
  if (ids.length > 1) return page("Invalid sign-in link", "The sign-in link names more than one application.", "client_id repeated");
  if (!client) return page("Unknown application", "The application asking you to sign in is not registered here. Go back to it and connect again.", "unknown client_id");

  const presented = params.getAll("redirect_uri");
  if (presented.length > 1) return page("Invalid sign-in link", "The sign-in link has more than one redirect_uri.", "redirect_uri repeated");
  let redirectUri: string;
  const redirectUriSent = presented.length === 1;
  if (presented[0] !== undefined) {
    if (matchRedirectUri(client.redirectUris, presented[0]) === undefined) {
      return page("Unregistered redirect URI", `The redirect URI in this sign-in link is not registered for ${client.clientName}, so the result cannot be sent back safely.`, "redirect_uri not registered");
    }
    redirectUri = presented[0];
  } else if (client.redirectUris.length === 1 && client.redirectUris[0] !== undefined) {
    redirectUri = client.redirectUris[0];
  } else {
    return page("Invalid sign-in link", "The sign-in link has no redirect_uri, and the application has registered several.", "redirect_uri missing");
  }
  // A registration accepted before today's redirect URI policy (a dangerous OS handler, a dotless private-use
  // scheme) is never redirected to; the operator's static clients are the operator's call.
  const registered = matchRedirectUri(client.redirectUris, redirectUri) ?? redirectUri;
  if (client.kind !== "static" && checkRedirectUri(registered, "native") !== undefined) {
    return page("Refused redirect URI", `The redirect URI registered for ${client.clientName} is not allowed here, so the result cannot be sent back safely.`, "registered redirect_uri fails the redirect URI policy");
  }

  const states = params.getAll("state");
  const state = states.length === 1 && states[0] && states[0].length <= MAX_STATE_LENGTH ? states[0] : undefined;
  const fail = (code: OAuthError["code"], description: string): AuthorizationCheck => ({ ok: false, redirectUri, state, error: new OAuthError(code, description) });
  if (states.length === 1 && (states[0] ?? "").length > MAX_STATE_LENGTH) return fail("invalid_request", `state is longer than ${MAX_STATE_LENGTH} characters`);

  let single: Record<string, string>;
  try {
    single = uniqueParams(params);
  } catch (err) {
    if (err instanceof OAuthError) return fail(err.code, err.description);
    throw err;
  }
  if (!client.grantTypes.includes("authorization_code")) return fail("unauthorized_client", "the client is not registered for the authorization_code grant");
  if (single.response_type === undefined) return fail("invalid_request", "missing parameter response_type");
  if (single.response_type !== "code") return fail("unsupported_response_type", "response_type must be code");
  if (single.code_challenge === undefined) return fail("invalid_request", "code_challenge is required (PKCE with S256)");
  if (single.code_challenge_method !== PKCE_METHOD) return fail("invalid_request", "code_challenge_method must be S256");
  if (!CODE_CHALLENGE.test(single.code_challenge)) return fail("invalid_request", "code_challenge must be 43 to 128 unreserved characters");
  const resource = resolveResource(config, single.resource);
  if (resource === undefined) return fail("invalid_target", `resource must be ${protectedResources(config).map((r) => r.resource).join(" or ")}`);
  const scope = narrowScope(config, single.scope);
  if (!scope.ok) return fail("invalid_scope", `unknown scope ${scope.unknown.join(" ")}`.slice(0, 200));
  const prompt = (single.prompt ?? "").split(" ").filter(Boolean);
  // Gatehouse always needs the person: an upstream login and its own consent page.
  if (prompt.includes("none")) return fail("login_required", "interaction is required: the user must sign in and approve");

  return {
    ok: true,
    client,
    request: { clientId: client.clientId, redirectUri, redirectUriSent, scope: scope.scopes.join(" "), resource, codeChallenge: single.code_challenge, state, prompt },
  };
}

/**
 * How an error after the redirect URI was validated reaches the client. Anyone can register a client (DCR, or a
 * metadata document) with a redirect URI of their choosing, so before the person has interacted an immediate
 * redirect would lend this server's domain to that URI: the error is a page with a link instead. After the person
 * approved or denied, and for the operator's own static clients, it is redirected (RFC 6749 §4.1.2.1, RFC 9207).
 * @see https://www.rfc-editor.org/rfc/rfc9700#section-4.11.2
 */
export function errorDelivery(client: Pick<ClientRecord, "kind">, interacted: boolean): "redirect" | "page" {
  return interacted || client.kind === "static" ? "redirect" : "page";
}

/** An /authorize URL that asks again for `request` (a grant's stored parameters), with `prompt`. */
export function authorizeAgainUrl(issuer: string, request: AuthorizationParams, prompt: string[]): string {
  const url = new URL(`${issuer}/authorize`);
  for (const [name, value] of Object.entries(authorizationFields({ ...request, prompt }))) url.searchParams.set(name, value);
  return url.href;
}

/** The consent form's hidden fields: the validated request in its own parameter names, re-checked on POST. */
export function authorizationFields(request: AuthorizationRequest): Record<string, string> {
  const fields: Record<string, string> = {
    response_type: "code",
    client_id: request.clientId,
    scope: request.scope,
    resource: request.resource,
    code_challenge: request.codeChallenge,
    code_challenge_method: PKCE_METHOD,
  };
  // Only when the client sent it: /token then requires it (RFC 6749 §4.1.3).
  if (request.redirectUriSent) fields.redirect_uri = request.redirectUri;
  if (request.state !== undefined) fields.state = request.state;
  if (request.prompt.length > 0) fields.prompt = request.prompt.join(" ");
  return fields;
}

function page(title: string, message: string, reason: string): AuthorizationCheck {
  return { ok: false, page: new PageError(title, message, { reason }) };
}
