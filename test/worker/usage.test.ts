// /mcp updates the signed-in user's last seen time and request count in D1, without a write per request.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { mcpStatus, obtainCode, REDIRECT_URI, registerClient, tokenRequest } from "./helpers/oauth";

describe("usage attribution at /mcp", () => {
  it("records the first request of a grant at once and holds the next ones for the minute's batch", async () => {
    const client = await registerClient();
    const { code, verifier } = await obtainCode(client, { email: "grace@usage.example", target: env });
    const res = await tokenRequest({ grant_type: "authorization_code", code, code_verifier: verifier, redirect_uri: REDIRECT_URI, client_id: client.client_id }, {}, env);
    const { access_token } = (await res.json()) as { access_token: string };
    const user = () => env.DB.prepare("SELECT request_count, last_seen_at FROM users WHERE email = ?").bind("grace@usage.example").first<{ request_count: number; last_seen_at: number }>();
    expect((await user())?.request_count).toBe(0);
    // Through the Worker's fetch with the execution context awaited: the usage write (waitUntil) is done when it answers.
    expect(await mcpStatus(access_token, env)).toBe(200);
    expect((await user())?.request_count).toBe(1);
    for (let i = 0; i < 3; i++) expect(await mcpStatus(access_token, env)).toBe(200);
    expect((await user())?.request_count).toBe(1);
    expect((await user())?.last_seen_at).toBeGreaterThan(Math.floor(Date.now() / 1000) - 60);
  });
});
