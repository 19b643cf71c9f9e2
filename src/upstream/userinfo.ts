// Identity from a plain OAuth 2.0 provider's user endpoint (no ID token), including GitHub's quirk: its `/user`
// carries only the public email, with no verification flag, so the primary verified address comes from `/user/emails`.
import * as oauth from "oauth4webapi";
import { GITHUB_API_HEADERS, primaryEmail } from "./github";
import type { UpstreamHttp } from "./transport";

/** Where a provider's user claims are: its user endpoint and, for GitHub, its email addresses endpoint. */
export interface UserEndpoints {
  userinfo: string;
  emails?: string;
}

/** The JSON object the user endpoint returns for `accessToken` (with GitHub's verified primary email); anything else throws. */
export async function fetchUserClaims(endpoints: UserEndpoints, accessToken: string, http: UpstreamHttp): Promise<Record<string, unknown>> {
  const accept = endpoints.emails ? GITHUB_API_HEADERS : { Accept: "application/json" };
  const claims = await getJson(endpoints.userinfo, accessToken, http, accept);
  if (typeof claims !== "object" || claims === null || Array.isArray(claims)) {
    throw new oauth.OperationProcessingError("the user endpoint did not return a JSON object", { code: oauth.INVALID_RESPONSE });
  }
  if (!endpoints.emails) return { ...claims };
  let addresses: unknown;
  try {
    addresses = await getJson(endpoints.emails, accessToken, http, accept);
  } catch (err) {
    // No permission to read the addresses (403/404): the public address, if any, stays unverified.
    if (err instanceof oauth.OperationProcessingError) addresses = undefined;
    else throw err;
  }
  return { ...claims, ...primaryEmail(addresses) };
}

async function getJson(url: string, accessToken: string, http: UpstreamHttp, accept: Record<string, string>): Promise<unknown> {
  const headers = new Headers({ ...http.headers, ...accept });
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
