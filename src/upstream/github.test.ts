import * as oauth from "oauth4webapi";
import { describe, expect, it } from "vitest";
import { normaliseTokenResponse, primaryEmail, tokenDeletionRequest } from "./github";

const as: oauth.AuthorizationServer = { issuer: "https://github.com", token_endpoint: "https://github.com/login/oauth/access_token" };
const client: oauth.Client = { client_id: "Iv1.abc" };

function form(body: string, status = 200): Response {
  return new Response(body, { status, headers: { "Content-Type": "application/x-www-form-urlencoded; charset=utf-8" } });
}

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json; charset=utf-8" } });
}

describe("normaliseTokenResponse (GitHub's token endpoint)", () => {
  it("turns GitHub's default form answer of a GitHub App's expiring token into JSON with numbers", async () => {
    const answer = form("access_token=ghu_abc&expires_in=28800&refresh_token=ghr_def&refresh_token_expires_in=15897600&scope=&token_type=bearer");
    const normalised = await normaliseTokenResponse(answer);
    expect(normalised.status).toBe(200);
    expect(normalised.headers.get("Content-Type")).toBe("application/json");
    expect(await normalised.clone().json()).toEqual({ access_token: "ghu_abc", expires_in: 28800, refresh_token: "ghr_def", refresh_token_expires_in: 15897600, scope: "", token_type: "bearer" });
    const tokens = await oauth.processAuthorizationCodeResponse(as, client, normalised);
    expect([tokens.access_token, tokens.expires_in, tokens.refresh_token]).toEqual(["ghu_abc", 28800, "ghr_def"]);
  });

  it("passes an OAuth App's JSON answer through unchanged in substance", async () => {
    const normalised = await normaliseTokenResponse(json({ access_token: "gho_abc", scope: "read:user,user:email", token_type: "bearer" }));
    const tokens = await oauth.processAuthorizationCodeResponse(as, client, normalised);
    expect([tokens.access_token, tokens.scope, tokens.refresh_token]).toEqual(["gho_abc", "read:user,user:email", undefined]);
  });

  it.each([
    ["JSON", json({ error: "bad_verification_code", error_description: "The code passed is incorrect or expired.", error_uri: "https://docs.github.com/x" })],
    ["form", form("error=bad_verification_code&error_description=The+code+passed+is+incorrect+or+expired.&error_uri=https%3A%2F%2Fdocs.github.com%2Fx")],
  ])("makes a %s error sent with 200 OK a 400 invalid_grant, as RFC 6749 §5.2 has it", async (_kind, answer) => {
    const normalised = await normaliseTokenResponse(answer);
    expect(normalised.status).toBe(400);
    const error = await oauth.processAuthorizationCodeResponse(as, client, normalised).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(oauth.ResponseBodyError);
    expect((error as oauth.ResponseBodyError).error).toBe("invalid_grant");
  });

  it.each([
    ["bad_refresh_token", "invalid_grant"],
    ["incorrect_client_credentials", "invalid_client"],
    ["redirect_uri_mismatch", "invalid_grant"],
    ["unverified_user_email", "unverified_user_email"],
  ])("names GitHub's %s as %s", async (github, rfc) => {
    const normalised = await normaliseTokenResponse(json({ error: github }));
    expect(await normalised.json()).toEqual({ error: rfc });
  });

  it("leaves an answer that is neither JSON nor a form as it is", async () => {
    const html = new Response("<h1>Unicorn!</h1>", { status: 503, headers: { "Content-Type": "text/html" } });
    expect(await normaliseTokenResponse(html)).toBe(html);
    const notObject = await normaliseTokenResponse(json([1, 2]));
    expect([notObject.status, await notObject.text()]).toEqual([200, "[1,2]"]);
  });
});

describe("primaryEmail (GitHub's /user/emails)", () => {
  it("takes the primary address when GitHub has verified it", () => {
    const list = [
      { email: "octo@users.noreply.github.com", primary: false, verified: true, visibility: null },
      { email: "octo@corp.example", primary: true, verified: true, visibility: "private" },
    ];
    expect(primaryEmail(list)).toEqual({ email: "octo@corp.example", email_verified: true });
  });

  it("gives no verified address when the primary one is unverified, or the answer is not a list", () => {
    expect(primaryEmail([{ email: "octo@corp.example", primary: true, verified: false }, { email: "other@corp.example", primary: false, verified: true }])).toEqual({ email_verified: false });
    expect(primaryEmail({ message: "Not Found" })).toEqual({ email_verified: false });
    expect(primaryEmail(undefined)).toEqual({ email_verified: false });
  });
});

describe("tokenDeletionRequest (GitHub's counterpart of RFC 7009)", () => {
  it("deletes one access token with the app's Basic credentials as they are and the token in a JSON body", async () => {
    const request = tokenDeletionRequest("https://api.github.com/applications/Iv1.abc/token", "Iv1.abc", "s3cr-t", "ghu_abc", { "User-Agent": "Gatehouse" });
    expect([request.method, request.url]).toEqual(["DELETE", "https://api.github.com/applications/Iv1.abc/token"]);
    expect(atob((request.headers.get("Authorization") ?? "").replace(/^Basic /, ""))).toBe("Iv1.abc:s3cr-t");
    expect([request.headers.get("Accept"), request.headers.get("X-GitHub-Api-Version"), request.headers.get("User-Agent")]).toEqual(["application/vnd.github+json", "2022-11-28", "Gatehouse"]);
    expect(await request.json()).toEqual({ access_token: "ghu_abc" });
  });
});
