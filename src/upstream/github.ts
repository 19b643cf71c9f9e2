// GitHub's dialect of OAuth 2.0 (OAuth Apps and GitHub Apps, GitHub.com and Enterprise Server): its token endpoint's
// answers made RFC 6749 §5 answers for oauth4webapi, the REST API's headers, and the verified primary email.
import * as oauth from "oauth4webapi";
import * as z from "zod";

/** The REST API version Gatehouse is written against. @see https://docs.github.com/en/rest/about-the-rest-api/api-versions */
export const GITHUB_API_HEADERS = { Accept: "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28" };

/**
 * GitHub's token-endpoint error codes as RFC 6749 §5.2 names them, so that a refresh refused for good reads
 * `invalid_grant` wherever it is judged. Codes not listed pass through as GitHub spells them.
 * @see https://docs.github.com/en/apps/oauth-apps/maintaining-oauth-apps/troubleshooting-oauth-app-access-token-request-errors
 * @see https://docs.github.com/en/apps/creating-github-apps/authenticating-with-a-github-app/refreshing-user-access-tokens
 */
const ERROR_CODES: Record<string, string> = {
  bad_verification_code: "invalid_grant",
  bad_refresh_token: "invalid_grant",
  redirect_uri_mismatch: "invalid_grant",
  incorrect_client_credentials: "invalid_client",
};

/** Token-response members GitHub sends as numbers in JSON but as text in its default form encoding. */
const NUMERIC_MEMBERS = ["expires_in", "refresh_token_expires_in"];

/**
 * The token endpoint's answer as RFC 6749 §5 has it: JSON even when GitHub answered in its default
 * `application/x-www-form-urlencoded` (a proxy dropping `Accept`, an older Enterprise Server), numbers as numbers,
 * and an error — which GitHub sends with `200 OK` — as `400` with the RFC's code. Other answers are left as they are.
 * @see https://docs.github.com/en/apps/oauth-apps/building-oauth-apps/authorizing-oauth-apps#2-users-are-redirected-back-to-your-site-by-github
 */
export async function normaliseTokenResponse(response: Response): Promise<Response> {
  const type = (response.headers.get("Content-Type") ?? "").split(";")[0]?.trim().toLowerCase();
  const form = type === "application/x-www-form-urlencoded" || type === "text/plain";
  if (!form && type !== "application/json") return response;
  // Decoded by hand: workerd warns when `.text()` reads a body whose type is not text.
  const text = new TextDecoder().decode(await response.arrayBuffer());
  let body: Record<string, unknown>;
  if (form) {
    body = Object.fromEntries(new URLSearchParams(text));
    for (const member of NUMERIC_MEMBERS) {
      const value = body[member];
      if (typeof value === "string" && /^\d+$/.test(value)) body[member] = Number(value);
    }
  } else {
    try {
      const parsed: unknown = JSON.parse(text);
      if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return rebuilt(text, response.status, response.headers);
      body = parsed as Record<string, unknown>;
    } catch {
      return rebuilt(text, response.status, response.headers);
    }
  }
  let status = response.status;
  if (typeof body.error === "string") {
    body.error = ERROR_CODES[body.error] ?? body.error;
    if (status === 200) status = 400;
  }
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json", "Cache-Control": "no-store" } });
}

function rebuilt(text: string, status: number, headers: Headers): Response {
  return new Response(text, { status, headers });
}

/** An oauth4webapi `customFetch` sending every request as is and normalising what `tokenEndpoint` answers. */
export function githubFetch(tokenEndpoint: string | undefined): (url: string, init: oauth.CustomFetchOptions<string, unknown>) => Promise<Response> {
  return async (url, init) => {
    const response = await fetch(url, init as RequestInit);
    return url === tokenEndpoint ? normaliseTokenResponse(response) : response;
  };
}

/**
 * GitHub's counterpart of RFC 7009 revocation: `DELETE /applications/{client_id}/token` at the REST API, the OAuth
 * App's or GitHub App's client id and secret as Basic credentials (taken as they are, not form-encoded), the access
 * token in a JSON body. It deletes that token only, never the person's whole authorization of the app (`/grant`), which
 * other grants of the same person may rest on. GitHub answers 204, or 404 for a token it no longer knows.
 * @see https://docs.github.com/en/rest/apps/oauth-applications#delete-an-app-token
 */
export function tokenDeletionRequest(endpoint: string, clientId: string, clientSecret: string, accessToken: string, headers: Record<string, string>): Request {
  return new Request(endpoint, {
    method: "DELETE",
    headers: { ...headers, ...GITHUB_API_HEADERS, Authorization: `Basic ${btoa(`${clientId}:${clientSecret}`)}`, "Content-Type": "application/json" },
    body: JSON.stringify({ access_token: accessToken }),
  });
}

const emails = z.array(z.object({ email: z.string(), primary: z.boolean(), verified: z.boolean() }).loose());

/**
 * The primary address if GitHub has verified it, as `email` and `email_verified: true`; `/user` itself carries only
 * the public address, with no verification flag. An OAuth App needs the `user:email` scope for it, a GitHub App the
 * "Email addresses" (read) account permission; without them (GitHub answers 403 or 404), or with no verified primary
 * address, the result is `email_verified: false` and the public address, if any, counts as unverified.
 * @see https://docs.github.com/en/rest/users/emails#list-email-addresses-for-the-authenticated-user
 */
export function primaryEmail(body: unknown): { email: string; email_verified: true } | { email_verified: false } {
  const primary = emails.safeParse(body).data?.find((e) => e.primary && e.verified);
  return primary ? { email: primary.email, email_verified: true } : { email_verified: false };
}
