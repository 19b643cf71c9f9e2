// One JSON log line per failed request (and with REQUEST_LOG=all per request), with ids and the failed check, and
// never a token or an email.
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Env } from "../../src/env";
import { mcpStatus, obtainCode, REDIRECT_URI, registerClient, tokenRequest } from "./helpers/oauth";

function requestLines(spy: { mock: { calls: unknown[][] } }): Record<string, unknown>[] {
  return spy.mock.calls
    .map((args) => String(args[0]))
    .filter((line) => line.startsWith('{"event":"request.'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("request logs", () => {
  it("logs one line for a refused token request with the error code, the failed check and the client, and no secret", async () => {
    const client = await registerClient();
    const { code, verifier } = await obtainCode(client, { email: "log@log.example" });
    const spy = vi.spyOn(console, "log");
    const res = await tokenRequest({ grant_type: "authorization_code", code, code_verifier: "x".repeat(43), redirect_uri: REDIRECT_URI, client_id: client.client_id });
    expect(res.status).toBe(400);
    const lines = requestLines(spy);
    expect(lines).toEqual([
      expect.objectContaining({ event: "request.failed", method: "POST", path: "/token", status: 400, error: "invalid_grant", reason: "code_verifier does not match", correlation_id: expect.any(String), latency_ms: expect.any(Number) }),
    ]);
    const all = spy.mock.calls.map((args) => String(args[0])).join("\n");
    expect(all).not.toContain(code.split(".")[1]);
    expect(all).not.toContain(verifier);
    expect(all).not.toContain("log@log.example");
  });

  async function accessToken(target?: Env): Promise<{ client: { client_id: string }; access_token: string }> {
    const client = await registerClient();
    const { code, verifier } = await obtainCode(client, { target });
    const res = await tokenRequest({ grant_type: "authorization_code", code, code_verifier: verifier, redirect_uri: REDIRECT_URI, client_id: client.client_id }, {}, target);
    const { access_token } = (await res.json()) as { access_token: string };
    return { client, access_token };
  }

  it("writes nothing for a sign-in and a successful /mcp call by default (Workers' invocation log has them)", async () => {
    const spy = vi.spyOn(console, "log");
    const { access_token } = await accessToken();
    expect(await mcpStatus(access_token)).toBe(200);
    expect(requestLines(spy)).toEqual([]);
  });

  it("logs a successful /mcp call with its client, grant and internal user id with REQUEST_LOG=all", async () => {
    const all = { ...env, REQUEST_LOG: "all" } as Env;
    const { client, access_token } = await accessToken(all);
    const spy = vi.spyOn(console, "log");
    expect(await mcpStatus(access_token, all)).toBe(200);
    const [line] = requestLines(spy);
    expect(line).toMatchObject({ event: "request.completed", path: "/mcp", status: 200, client_id: client.client_id, grant_id: expect.stringMatching(/^[0-9a-f]{64}$/), user_id: expect.stringMatching(/^usr_/) });
    expect(JSON.stringify(line)).not.toContain(access_token);
  });

  it("logs no request at all with REQUEST_LOG=off, a refusal included", async () => {
    const off = { ...env, REQUEST_LOG: "off" } as Env;
    const spy = vi.spyOn(console, "log");
    const res = await tokenRequest({ grant_type: "authorization_code", code: "gh1c_x.y", code_verifier: "x".repeat(43), redirect_uri: REDIRECT_URI, client_id: "nobody" }, {}, off);
    expect(res.status).toBe(401);
    expect(await mcpStatus("not-a-token", off)).toBe(401);
    expect(requestLines(spy)).toEqual([]);
  });

  it("logs a refused /mcp call by default", async () => {
    const spy = vi.spyOn(console, "log");
    expect(await mcpStatus("not-a-token")).toBe(401);
    expect(requestLines(spy)).toEqual([expect.objectContaining({ event: "request.failed", path: "/mcp", status: 401, error: "invalid_token" })]);
  });
});
