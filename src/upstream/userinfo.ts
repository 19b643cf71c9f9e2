// Identity from a plain OAuth 2.0 provider's user endpoint (no ID token), including GitHub's quirk: its `/user`
// carries only the public email, with no verification flag, so the primary verified address comes from `/user/emails`.
import * as oauth from "oauth4webapi";
import * as z from "zod";
import type { UpstreamHttp } from "./transport";

/** GitHub's user endpoint; providers configured with it get the `/user/emails` lookup. */
export const GITHUB_USER_ENDPOINT = "https://api.github.com/user";

const githubEmails = z.array(z.object({ email: z.string(), primary: z.boolean(), verified: z.boolean() }).loose());

/** The JSON object the user endpoint returns for `accessToken`; anything else throws. */
export async function fetchUserClaims(endpoint: string, accessToken: string, http: UpstreamHttp): Promise<Record<string, unknown>> {
  const claims = await getJson(endpoint, accessToken, http);
  if (typeof claims !== "object" || claims === null || Array.isArray(claims)) {
    throw new oauth.OperationProcessingError("the user endpoint did not return a JSON object", { code: oauth.INVALID_RESPONSE });
  }
  if (endpoint === GITHUB_USER_ENDPOINT) return { ...claims, ...(await githubPrimaryEmail(accessToken, http)) };
  return { ...claims };
}

/**
 * The primary verified address, as `email` and `email_verified: true`. Needs the `user:email` scope; without it
 * (or with no verified primary address) nothing is added and the public email, if any, counts as unverified.
 * @see https://docs.github.com/en/rest/users/emails#list-email-addresses-for-the-authenticated-user
 */
async function githubPrimaryEmail(accessToken: string, http: UpstreamHttp): Promise<{ email: string; email_verified: true } | { email_verified: false }> {
  let body: unknown;
  try {
    body = await getJson(`${GITHUB_USER_ENDPOINT}/emails`, accessToken, http);
  } catch (err) {
    if (err instanceof oauth.OperationProcessingError) return { email_verified: false };
    throw err;
  }
  const primary = githubEmails.safeParse(body).data?.find((e) => e.primary && e.verified);
  return primary ? { email: primary.email, email_verified: true } : { email_verified: false };
}

async function getJson(url: string, accessToken: string, http: UpstreamHttp): Promise<unknown> {
  const headers = new Headers({ ...http.headers, Accept: "application/json" });
  const response = await oauth.protectedResourceRequest(accessToken, "GET", new URL(url), headers, null, http);
  if (response.status !== 200) {
    throw new oauth.OperationProcessingError(`the user endpoint answered HTTP ${response.status}`, { code: oauth.RESPONSE_IS_NOT_CONFORM });
  }
  try {
    return await response.json();
  } catch {
    throw new oauth.OperationProcessingError("the user endpoint's response is not JSON", { code: oauth.PARSE_ERROR });
  }
}
