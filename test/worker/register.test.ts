// POST /register (RFC 7591): public and confidential registration, what is stored in D1, and every rejection.
import { env, exports } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { sha256 } from "../../src/crypto";

const BASE = "http://localhost:8787";

interface ClientRow {
  client_id: string;
  kind: string;
  client_secret_hash: string | null;
  client_name: string;
  redirect_uris: string;
  grant_types: string;
  token_endpoint_auth_method: string;
  application_type: string;
  scope: string | null;
  metadata: string;
  created_at: number;
  last_used_at: number | null;
}

function register(body: unknown, headers: Record<string, string> = { "Content-Type": "application/json" }): Promise<Response> {
  return exports.default.fetch(`${BASE}/register`, { method: "POST", headers, body: typeof body === "string" ? body : JSON.stringify(body) });
}

async function row(clientId: string): Promise<ClientRow | null> {
  return env.DB.prepare("SELECT * FROM clients WHERE client_id = ?").bind(clientId).first<ClientRow>();
}

async function clientCount(): Promise<number> {
  return (await env.DB.prepare("SELECT COUNT(*) AS n FROM clients").first<{ n: number }>())?.n ?? -1;
}

/** Asserts a registration error: status, RFC 7591 §3.2.2 body, no-store, and that nothing was stored. */
async function expectRejected(res: Response, status: number, error: string, description?: string | RegExp): Promise<void> {
  expect(res.status).toBe(status);
  expect(res.headers.get("Cache-Control")).toBe("no-store");
  const body = (await res.json()) as { error: string; error_description: string };
  expect(body.error).toBe(error);
  if (description instanceof RegExp) expect(body.error_description).toMatch(description);
  else if (description !== undefined) expect(body.error_description).toBe(description);
}

const CLAUDE_CODE = {
  client_name: "Claude Code (gatehouse)",
  redirect_uris: ["http://localhost:54212/callback"],
  grant_types: ["authorization_code", "refresh_token"],
  response_types: ["code"],
  token_endpoint_auth_method: "none",
  scope: "mcp",
};

describe("POST /register: success", () => {
  it("registers a public client and answers 201 with its full information and no secret", async () => {
    const before = Math.floor(Date.now() / 1000);
    const res = await register(CLAUDE_CODE);
    expect(res.status).toBe(201);
    expect(res.headers.get("Cache-Control")).toBe("no-store");
    expect(res.headers.get("Pragma")).toBe("no-cache");
    expect(res.headers.get("Content-Type")).toMatch(/^application\/json/);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toEqual({
      client_id: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/),
      client_id_issued_at: expect.any(Number),
      client_name: "Claude Code (gatehouse)",
      redirect_uris: ["http://localhost:54212/callback"],
      grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"],
      token_endpoint_auth_method: "none",
      application_type: "web",
      scope: "mcp",
    });
    expect(body.client_id_issued_at).toBeGreaterThanOrEqual(before);

    const stored = await row(body.client_id as string);
    expect(stored).toMatchObject({
      kind: "dcr",
      client_secret_hash: null,
      client_name: "Claude Code (gatehouse)",
      token_endpoint_auth_method: "none",
      application_type: "web",
      scope: "mcp",
      created_at: body.client_id_issued_at,
      last_used_at: null,
    });
    expect(JSON.parse(stored?.redirect_uris ?? "null")).toEqual(["http://localhost:54212/callback"]);
    expect(JSON.parse(stored?.grant_types ?? "null")).toEqual(["authorization_code", "refresh_token"]);
    const { client_id: _id, client_id_issued_at: _at, ...metadata } = body;
    expect(JSON.parse(stored?.metadata ?? "null")).toEqual(metadata);
  });

  it("registers a confidential client by default (client_secret_basic, RFC 7591 §2), returning the secret once and storing only its hash", async () => {
    const res = await register({ redirect_uris: ["https://app.example.com/oauth/callback"], client_name: "Web app" });
    expect(res.status).toBe(201);
    expect(res.headers.get("Cache-Control")).toBe("no-store");
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      client_secret: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      client_secret_expires_at: 0,
      token_endpoint_auth_method: "client_secret_basic",
      grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"],
      application_type: "web",
    });
    const secret = body.client_secret as string;
    const stored = await row(body.client_id as string);
    expect(stored?.client_secret_hash).toBe(await sha256(secret));
    expect(JSON.stringify(stored)).not.toContain(secret);
    expect(JSON.parse(stored?.metadata ?? "{}")).not.toHaveProperty("client_secret");
  });

  it("registers a client_secret_post client with its own secret", async () => {
    const res = await register({ redirect_uris: ["https://chatgpt.com/connector_platform_oauth_redirect"], token_endpoint_auth_method: "client_secret_post" });
    expect(res.status).toBe(201);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body.token_endpoint_auth_method).toBe("client_secret_post");
    expect(typeof body.client_secret).toBe("string");
    expect((await row(body.client_id as string))?.client_secret_hash).toBe(await sha256(body.client_secret as string));
  });

  it("gives each registration a distinct client_id and secret", async () => {
    const a = (await (await register({ redirect_uris: ["https://a.example.com/cb"] })).json()) as Record<string, string>;
    const b = (await (await register({ redirect_uris: ["https://a.example.com/cb"] })).json()) as Record<string, string>;
    expect(a.client_id).not.toBe(b.client_id);
    expect(a.client_secret).not.toBe(b.client_secret);
  });

  it("registers Cursor (private-use scheme, no application_type) as a native client", async () => {
    const res = await register({
      client_name: "Cursor",
      redirect_uris: ["cursor://anysphere.cursor-retrieval/oauth/user-gatehouse/callback"],
      grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"],
      token_endpoint_auth_method: "none",
    });
    expect(res.status).toBe(201);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body.application_type).toBe("native");
    expect((await row(body.client_id as string))?.application_type).toBe("native");
  });

  it("honours an explicit native application_type with a loopback redirect URI", async () => {
    const res = await register({ redirect_uris: ["http://127.0.0.1/callback"], application_type: "native", token_endpoint_auth_method: "none" });
    expect(res.status).toBe(201);
    expect(((await res.json()) as Record<string, unknown>).application_type).toBe("native");
  });

  it("fills in defaults: client name, grant and response types, application type; drops empty optional strings", async () => {
    const res = await register({ redirect_uris: ["https://app.example.com/cb"], token_endpoint_auth_method: "none", client_name: "  ", logo_uri: "", scope: "" });
    expect(res.status).toBe(201);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toEqual({
      client_id: expect.any(String),
      client_id_issued_at: expect.any(Number),
      client_name: "Unnamed client",
      redirect_uris: ["https://app.example.com/cb"],
      grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"],
      token_endpoint_auth_method: "none",
      application_type: "web",
    });
  });

  it("keeps the optional RFC 7591 fields it supports and ignores unknown fields (neither stored nor echoed)", async () => {
    const res = await register({
      redirect_uris: ["https://app.example.com/cb", "https://app.example.com/cb"],
      token_endpoint_auth_method: "none",
      client_name: "Inspector",
      client_uri: "https://github.com/modelcontextprotocol/inspector",
      logo_uri: "https://app.example.com/logo.png",
      tos_uri: "https://app.example.com/tos",
      policy_uri: "https://app.example.com/privacy",
      software_id: "inspector",
      software_version: "0.17.0",
      scope: "mcp offline_access mcp",
      contacts: ["admin@example.com"],
      jwks_uri: "https://app.example.com/jwks",
      software_statement: "eyJ.eyJ.sig",
      post_logout_redirect_uris: ["https://app.example.com/bye"],
      is_admin: true,
    });
    expect(res.status).toBe(201);
    const body = (await res.json()) as Record<string, unknown>;
    const expected = {
      client_name: "Inspector",
      redirect_uris: ["https://app.example.com/cb"],
      grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"],
      token_endpoint_auth_method: "none",
      application_type: "web",
      scope: "mcp offline_access",
      client_uri: "https://github.com/modelcontextprotocol/inspector",
      logo_uri: "https://app.example.com/logo.png",
      tos_uri: "https://app.example.com/tos",
      policy_uri: "https://app.example.com/privacy",
      software_id: "inspector",
      software_version: "0.17.0",
    };
    expect(body).toEqual({ client_id: expect.any(String), client_id_issued_at: expect.any(Number), ...expected });
    const stored = await row(body.client_id as string);
    expect(JSON.parse(stored?.metadata ?? "null")).toEqual(expected);
    expect(stored?.metadata).not.toContain("admin@example.com");
    expect(stored?.metadata).not.toContain("is_admin");
  });

  it("accepts a charset parameter on the JSON content type", async () => {
    const res = await register({ redirect_uris: ["https://app.example.com/cb"] }, { "Content-Type": "application/json; charset=utf-8" });
    expect(res.status).toBe(201);
  });

  it("records a client.registered event without the secret", async () => {
    const body = (await (await register({ redirect_uris: ["https://event.example.com/cb"] })).json()) as Record<string, string>;
    const event = await vi.waitFor(async () => {
      const found = await env.DB.prepare("SELECT * FROM events WHERE type = 'client.registered' AND client_id = ?")
        .bind(body.client_id)
        .first<{ detail: string }>();
      if (!found) throw new Error("event not yet written");
      return found;
    });
    expect(JSON.parse(event.detail)).toMatchObject({ token_endpoint_auth_method: "client_secret_basic", application_type: "web" });
    expect(event.detail).not.toContain(body.client_secret);
  });

  it("answers the MCP SDK's registerClient with a response the SDK accepts", async () => {
    const { registerClient } = await import("@modelcontextprotocol/sdk/client/auth.js");
    const info = await registerClient(BASE, {
      clientMetadata: { client_name: "SDK", redirect_uris: ["http://localhost:3000/callback"], token_endpoint_auth_method: "none", grant_types: ["authorization_code", "refresh_token"], response_types: ["code"] },
      fetchFn: (url, init) => exports.default.fetch(new Request(url, init)),
    });
    expect(info.client_id).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(info.client_secret).toBeUndefined();
  });

  it("allows a cross-origin preflight", async () => {
    const res = await exports.default.fetch(`${BASE}/register`, {
      method: "OPTIONS",
      headers: { Origin: "https://app.example.com", "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type" },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get("Access-Control-Allow-Origin")).toBe("*");
  });
});

describe("POST /register: rejections change nothing", () => {
  it.each([
    ["javascript:", "javascript:alert(document.cookie)", "redirect_uris.0 must not use the javascript: scheme"],
    ["data:", "data:text/html;base64,PHNjcmlwdD4=", "redirect_uris.0 must not use the data: scheme"],
    ["file:", "file:///etc/passwd", "redirect_uris.0 must not use the file: scheme"],
    ["vbscript:", "vbscript:msgbox(1)", "redirect_uris.0 must not use the vbscript: scheme"],
    ["http on a public host", "http://app.example.com/cb", "redirect_uris.0 must use https unless the host is loopback (localhost, 127.0.0.1 or [::1])"],
    ["a fragment", "https://app.example.com/cb#frag", "redirect_uris.0 must not contain a fragment"],
    ["a wildcard", "https://*.example.com/cb", "redirect_uris.0 must not contain wildcards"],
    ["userinfo", "https://user@app.example.com/cb", "redirect_uris.0 must not contain user information"],
    ["a relative URI", "/callback", "redirect_uris.0 is not an absolute URI"],
    ["a non-URL", "not a url", "redirect_uris.0 contains whitespace, control or non-ASCII characters"],
    ["a control character", "https://app.example.com/c\u0000b", "redirect_uris.0 contains whitespace, control or non-ASCII characters"],
    ["Windows' diagnostics handler ms-msdt:", "ms-msdt:/id%20PCWDiagnostic", "redirect_uris.0 must not use the ms-msdt: scheme"],
    ["Windows' search handler search-ms:", "search-ms:query=x&crumb=location:%5C%5Cattacker.example", "redirect_uris.0 must not use the search-ms: scheme"],
    ["Office's ms-officecmd:", "ms-officecmd:%7B%7D", "redirect_uris.0 must not use the ms-officecmd: scheme"],
    ["Word's ms-word:", "ms-word:ofe|u|https://attacker.example/d.docx", "redirect_uris.0 must not use the ms-word: scheme"],
    ["a dotless private-use scheme (RFC 8252 §7.1)", "myapp://callback", "redirect_uris.0 must use a private-use scheme named as a reverse domain (such as com.example.app:)"],
  ])("refuses a redirect URI with %s (invalid_redirect_uri)", async (_name, uri, description) => {
    const before = await clientCount();
    await expectRejected(await register({ redirect_uris: [uri], token_endpoint_auth_method: "none" }), 400, "invalid_redirect_uri", description);
    expect(await clientCount()).toBe(before);
  });

  it("refuses a bad URI anywhere in the list, naming its index", async () => {
    await expectRejected(await register({ redirect_uris: ["https://app.example.com/cb", "http://evil.example.com/cb"] }), 400, "invalid_redirect_uri", /^redirect_uris\.1 /);
  });

  it("refuses a private-use scheme for a client that declares itself web", async () => {
    await expectRejected(
      await register({ redirect_uris: ["cursor://anysphere.cursor-retrieval/cb"], application_type: "web" }),
      400,
      "invalid_redirect_uri",
      "redirect_uris.0 may use a private-use scheme only for a native client (application_type native)",
    );
  });

  it.each([
    ["missing", {}, "redirect_uris must be an array of strings"],
    ["empty", { redirect_uris: [] }, "redirect_uris must not be empty"],
    ["a string instead of an array", { redirect_uris: "https://app.example.com/cb" }, "redirect_uris must be an array of strings"],
    ["an array holding a number", { redirect_uris: [42] }, "redirect_uris.0 must be a string"],
  ])("refuses redirect_uris that are %s (invalid_redirect_uri)", async (_name, body, description) => {
    await expectRejected(await register(body), 400, "invalid_redirect_uri", description);
  });

  it.each([
    ["private_key_jwt", { token_endpoint_auth_method: "private_key_jwt" }, /^token_endpoint_auth_method is not supported/],
    ["tls_client_auth", { token_endpoint_auth_method: "tls_client_auth" }, /^token_endpoint_auth_method is not supported/],
    ["the implicit grant", { grant_types: ["authorization_code", "implicit"] }, "grant_types implicit is not supported"],
    ["the password grant", { grant_types: ["password"] }, "grant_types password is not supported"],
    ["the client_credentials grant", { grant_types: ["client_credentials"] }, "grant_types client_credentials is not supported"],
    ["refresh_token without authorization_code", { grant_types: ["refresh_token"] }, "grant_types must include authorization_code"],
    ["grant_types as a string", { grant_types: "authorization_code" }, "grant_types must be an array of strings"],
    ["the token response type", { response_types: ["code", "token"] }, 'response_types must be ["code"]'],
    ["no response type", { response_types: [] }, 'response_types must be ["code"]'],
    ["an unknown application_type", { application_type: "service" }, "application_type must be web or native"],
    ["an unknown scope", { scope: "mcp admin" }, "scope admin is not supported"],
    ["a scope that is not a string", { scope: ["mcp"] }, "scope must be a string"],
    ["an overlong client_name", { client_name: "x".repeat(129) }, "client_name must be at most 128 characters"],
    ["a client_name with a bidi override", { client_name: "Evil\u202eemaN" }, "client_name must not contain control, format or invisible characters"],
    ["a client_name of a Hangul filler", { client_name: "\u3164" }, "client_name must not contain control, format or invisible characters"],
    ["a client_name with a line separator", { client_name: "Claude\u2028Code" }, "client_name must not contain control, format or invisible characters"],
    ["a client_uri with a bidi override", { client_uri: "https://app.example.com/\u202egnp.exe" }, "client_uri must be an https URL"],
    ["a client_name that is not a string", { client_name: 7 }, "client_name must be a string"],
    ["an http logo_uri", { logo_uri: "http://app.example.com/logo.png" }, "logo_uri must be an https URL"],
    ["a javascript client_uri", { client_uri: "javascript:alert(1)" }, "client_uri must be an https URL"],
    ["a tos_uri with userinfo", { tos_uri: "https://user@app.example.com/tos" }, "tos_uri must be an https URL"],
    ["a non-URL policy_uri", { policy_uri: "privacy" }, "policy_uri must be an https URL"],
    ["a policy_uri that is not a string", { policy_uri: { href: "https://app.example.com" } }, "policy_uri must be an https URL"],
  ])("refuses %s (invalid_client_metadata)", async (_name, fields, description) => {
    const before = await clientCount();
    await expectRejected(await register({ redirect_uris: ["https://app.example.com/cb"], ...fields }), 400, "invalid_client_metadata", description);
    expect(await clientCount()).toBe(before);
  });

  it.each([
    ["text/plain", { "Content-Type": "text/plain" }],
    ["a form", { "Content-Type": "application/x-www-form-urlencoded" }],
    ["a look-alike JSON type", { "Content-Type": "application/jsonp" }],
    ["no content type", {}],
  ])("refuses a body sent as %s with 400", async (_name, headers) => {
    const before = await clientCount();
    await expectRejected(await register({ redirect_uris: ["https://app.example.com/cb"] }, headers), 400, "invalid_client_metadata", "the body must be application/json");
    expect(await clientCount()).toBe(before);
  });

  it("refuses malformed JSON with 400", async () => {
    await expectRejected(await register('{"redirect_uris": ["https://app.example.com/cb"'), 400, "invalid_client_metadata", "the body is not valid JSON");
  });

  it.each([
    ["an array", "[]"],
    ["null", "null"],
    ["a string", '"hello"'],
  ])("refuses a JSON body that is %s", async (_name, body) => {
    await expectRejected(await register(body), 400, "invalid_client_metadata", "the body must be a JSON object");
  });

  it("refuses a body that is not UTF-8", async () => {
    const res = await exports.default.fetch(`${BASE}/register`, { method: "POST", headers: { "Content-Type": "application/json" }, body: new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]) });
    await expectRejected(res, 400, "invalid_request", "the body is not valid UTF-8");
  });

  it("refuses a 65 KiB body with 413 and stores nothing", async () => {
    const before = await clientCount();
    const body = JSON.stringify({ redirect_uris: ["https://app.example.com/cb"], padding: "x".repeat(65 * 1024) });
    await expectRejected(await register(body), 413, "invalid_request", "request body too large");
    expect(await clientCount()).toBe(before);
  });

  it("refuses an oversized body even when streamed without a Content-Length", async () => {
    const chunk = new TextEncoder().encode(`{"redirect_uris":["https://app.example.com/cb"],"padding":"${"x".repeat(65 * 1024)}"}`);
    const stream = new ReadableStream({
      start(controller) {
        controller.enqueue(chunk);
        controller.close();
      },
    });
    const res = await exports.default.fetch(`${BASE}/register`, { method: "POST", headers: { "Content-Type": "application/json" }, body: stream });
    await expectRejected(res, 413, "invalid_request", "request body too large");
  });

  it("accepts a body just under 64 KiB", async () => {
    const base = JSON.stringify({ redirect_uris: ["https://app.example.com/cb"], padding: "" });
    const body = JSON.stringify({ redirect_uris: ["https://app.example.com/cb"], padding: "x".repeat(64 * 1024 - base.length) });
    expect(body.length).toBe(64 * 1024);
    expect((await register(body)).status).toBe(201);
  });

  it("answers 404 to GET /register", async () => {
    const res = await exports.default.fetch(`${BASE}/register`);
    expect(res.status).toBe(404);
  });
});
