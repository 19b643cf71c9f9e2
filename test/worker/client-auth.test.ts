// Client authentication (RFC 6749 §2.3.1): Basic with form-urlencoded credentials, post, none, and every failure,
// through a test-only /token route that calls authenticateClient with the real OAuth error format, then records the
// client's use as /token does once it issued tokens (that only issuance counts is in registration-flood.test.ts).
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { Hono } from "hono";
import { beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config";
import { sha256 } from "../../src/crypto";
import { type ClientRecord, clientInsert, clientTouch, TOUCH_INTERVAL, type TokenEndpointAuthMethod } from "../../src/db/clients";
import type { AppEnv } from "../../src/http/app-env";
import { auditTrail, writeLater } from "../../src/http/audit";
import { authenticateClient, clientUse } from "../../src/oauth/client-auth";
import { readForm } from "../../src/http/params";
import { oauthErrors, onError } from "../../src/http/respond";

const app = new Hono<AppEnv>();
app.use(async (c, next) => {
  c.set("correlationId", crypto.randomUUID());
  c.set("config", loadConfig(c.env));
  await next();
});
app.use(oauthErrors, auditTrail);
app.post("/token", async (c) => {
  const client = await authenticateClient(c, await readForm(c));
  for (const statement of clientUse(c, client)) writeLater(c, statement);
  return c.json({ client_id: client.clientId, method: client.tokenEndpointAuthMethod });
});
app.onError(onError);

/** A secret with every character that form-urlencoding changes: space, +, %, :, &, =, /, and non-ASCII. */
const SPECIAL_SECRET = "s3cr:t+ %41&=/é?#";
const SPECIAL_ID = "client:with+special id";

const CLIENTS: Record<string, { id: string; secret?: string; method: TokenEndpointAuthMethod }> = {
  basic: { id: SPECIAL_ID, secret: SPECIAL_SECRET, method: "client_secret_basic" },
  plainBasic: { id: "plain-basic-client", secret: "Zm9vYmFyYmF6cXV4cXV1eF9zZWNyZXRfdmFsdWVfMTIz", method: "client_secret_basic" },
  post: { id: "post-client", secret: SPECIAL_SECRET, method: "client_secret_post" },
  none: { id: "public-client", method: "none" },
};

beforeAll(async () => {
  for (const { id, secret, method } of Object.values(CLIENTS)) {
    const record: ClientRecord = {
      clientId: id,
      kind: "dcr",
      clientSecretHash: secret === undefined ? undefined : await sha256(secret),
      clientName: id,
      redirectUris: ["https://app.example.com/cb"],
      grantTypes: ["authorization_code", "refresh_token"],
      tokenEndpointAuthMethod: method,
      applicationType: "web",
      metadata: {},
      createdAt: 1_700_000_000,
    };
    await clientInsert(env.DB, record).run();
  }
});

/** `application/x-www-form-urlencoded` encoding of one value (space as `+`), as RFC 6749 §2.3.1 requires. */
function formEncode(value: string): string {
  return new URLSearchParams({ v: value }).toString().slice(2);
}

function basic(id: string, secret: string, encode = true): string {
  const raw = encode ? `${formEncode(id)}:${formEncode(secret)}` : `${id}:${secret}`;
  return `Basic ${btoa(String.fromCharCode(...new TextEncoder().encode(raw)))}`;
}

async function token(form: Record<string, string>, authorization?: string): Promise<Response> {
  const headers: Record<string, string> = { "Content-Type": "application/x-www-form-urlencoded" };
  if (authorization !== undefined) headers.Authorization = authorization;
  const ctx = createExecutionContext();
  const res = await app.fetch(new Request("http://localhost:8787/token", { method: "POST", headers, body: new URLSearchParams(form) }), env, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

async function expectAuthenticated(res: Response, clientId: string): Promise<void> {
  expect(res.status).toBe(200);
  expect(((await res.json()) as { client_id: string }).client_id).toBe(clientId);
}

async function expectInvalidClient(res: Response, options: { basicChallenge: boolean; description?: string }): Promise<void> {
  expect(res.status).toBe(401);
  expect(res.headers.get("Cache-Control")).toBe("no-store");
  expect(res.headers.get("WWW-Authenticate")).toBe(options.basicChallenge ? 'Basic realm="token", charset="UTF-8"' : null);
  const body = (await res.json()) as { error: string; error_description: string };
  expect(body.error).toBe("invalid_client");
  if (options.description !== undefined) expect(body.error_description).toBe(options.description);
}

describe("client_secret_basic", () => {
  it("authenticates with form-urlencoded id and secret containing special characters", async () => {
    await expectAuthenticated(await token({ grant_type: "authorization_code" }, basic(SPECIAL_ID, SPECIAL_SECRET)), SPECIAL_ID);
  });

  it("authenticates a client that does not encode a secret with no special characters", async () => {
    const { id, secret = "" } = CLIENTS.plainBasic ?? { id: "" };
    await expectAuthenticated(await token({}, basic(id, secret, false)), id);
  });

  it("accepts a lower-case scheme name (RFC 7235 §2.1)", async () => {
    await expectAuthenticated(await token({}, basic(SPECIAL_ID, SPECIAL_SECRET).replace("Basic", "basic")), SPECIAL_ID);
  });

  it("accepts a client_id in the form that equals the Basic one", async () => {
    await expectAuthenticated(await token({ client_id: SPECIAL_ID }, basic(SPECIAL_ID, SPECIAL_SECRET)), SPECIAL_ID);
  });

  it("refuses the secret sent without form-urlencoding when it has special characters", async () => {
    await expectInvalidClient(await token({}, basic(SPECIAL_ID, SPECIAL_SECRET, false)), { basicChallenge: true });
  });

  it("refuses a wrong secret with a Basic challenge", async () => {
    await expectInvalidClient(await token({}, basic(SPECIAL_ID, `${SPECIAL_SECRET}x`)), { basicChallenge: true, description: "client authentication failed" });
  });

  it("refuses a client_id in the form that differs from the Basic one", async () => {
    await expectInvalidClient(await token({ client_id: "post-client" }, basic(SPECIAL_ID, SPECIAL_SECRET)), {
      basicChallenge: true,
      description: "client_id does not match the Authorization header",
    });
  });

  it("refuses Basic and post credentials together (RFC 6749 §2.3)", async () => {
    await expectInvalidClient(await token({ client_id: SPECIAL_ID, client_secret: SPECIAL_SECRET }, basic(SPECIAL_ID, SPECIAL_SECRET)), {
      basicChallenge: true,
      description: "use only one client authentication method",
    });
  });

  // claude.ai posts the secret of a pre-registered client whatever it was registered with (issue 19).
  it("accepts the right secret sent in the form by a client registered for Basic", async () => {
    await expectAuthenticated(await token({ client_id: SPECIAL_ID, client_secret: SPECIAL_SECRET }), SPECIAL_ID);
  });

  it("refuses a wrong secret sent in the form by a client registered for Basic", async () => {
    await expectInvalidClient(await token({ client_id: SPECIAL_ID, client_secret: "wrong" }), { basicChallenge: false, description: "client authentication failed" });
  });

  it("refuses a Basic client that presents only its client_id", async () => {
    await expectInvalidClient(await token({ client_id: SPECIAL_ID }), { basicChallenge: false });
  });

  it.each([
    ["not base64", "Basic !!!notbase64"],
    ["no colon", `Basic ${btoa("just-an-id")}`],
    ["an empty secret", `Basic ${btoa("plain-basic-client:")}`],
    ["an empty id", `Basic ${btoa(":secret")}`],
    ["bad percent-encoding", `Basic ${btoa("plain-basic-client:%zz")}`],
    ["invalid UTF-8", `Basic ${btoa("plain-basic-client:\xff\xfe")}`],
    ["only padding", "Basic ===="],
  ])("refuses a Basic header with %s", async (_name, header) => {
    await expectInvalidClient(await token({}, header), { basicChallenge: true });
  });

  it("refuses an Authorization header of another scheme", async () => {
    await expectInvalidClient(await token({ client_id: "public-client" }, "Bearer abc"), { basicChallenge: false, description: "the Authorization header must use the Basic scheme" });
  });
});

describe("client_secret_post", () => {
  it("authenticates with client_id and client_secret in the form", async () => {
    await expectAuthenticated(await token({ client_id: "post-client", client_secret: SPECIAL_SECRET }), "post-client");
  });

  it("refuses a wrong secret without a Basic challenge", async () => {
    await expectInvalidClient(await token({ client_id: "post-client", client_secret: "wrong" }), { basicChallenge: false, description: "client authentication failed" });
  });

  it("accepts the right secret sent with Basic by a client registered for post", async () => {
    await expectAuthenticated(await token({}, basic("post-client", SPECIAL_SECRET)), "post-client");
  });

  it("refuses a post client that omits its secret", async () => {
    await expectInvalidClient(await token({ client_id: "post-client" }), { basicChallenge: false });
  });
});

describe("none (public clients)", () => {
  it("identifies a public client by client_id alone", async () => {
    await expectAuthenticated(await token({ client_id: "public-client" }), "public-client");
  });

  it("treats an empty client_secret as omitted (RFC 6749 §2.3.1)", async () => {
    await expectAuthenticated(await token({ client_id: "public-client", client_secret: "" }), "public-client");
  });

  it("refuses a public client that sends a secret", async () => {
    await expectInvalidClient(await token({ client_id: "public-client", client_secret: "anything" }), { basicChallenge: false, description: "client authentication failed" });
  });

  it("refuses a public client that uses Basic", async () => {
    await expectInvalidClient(await token({}, basic("public-client", "anything")), { basicChallenge: true });
  });
});

describe("any method", () => {
  it("refuses an unknown client", async () => {
    await expectInvalidClient(await token({ client_id: "no-such-client" }), { basicChallenge: false, description: "client authentication failed" });
  });

  it("refuses an unknown client over Basic with a Basic challenge", async () => {
    await expectInvalidClient(await token({}, basic("no-such-client", "secret")), { basicChallenge: true });
  });

  it("refuses a request with no client identification", async () => {
    await expectInvalidClient(await token({ grant_type: "authorization_code" }), { basicChallenge: false, description: "client authentication is required" });
  });

  it("records last use once, then at most once an hour", async () => {
    const lastUsed = async () =>
      (await env.DB.prepare("SELECT last_used_at FROM clients WHERE client_id = ?").bind("touched-client").first<{ last_used_at: number | null }>())?.last_used_at;
    await clientInsert(env.DB, {
      clientId: "touched-client",
      kind: "dcr",
      clientName: "Touched",
      redirectUris: ["https://app.example.com/cb"],
      grantTypes: ["authorization_code"],
      tokenEndpointAuthMethod: "none",
      applicationType: "web",
      metadata: {},
      createdAt: 1_700_000_000,
    }).run();
    await expectAuthenticated(await token({ client_id: "touched-client" }), "touched-client");
    const first = await lastUsed();
    expect(first).toBeGreaterThan(Math.floor(Date.now() / 1000) - 60);

    // Another isolate's write within the hour is not repeated: the statement itself guards the interval.
    await env.DB.prepare("UPDATE clients SET last_used_at = ? WHERE client_id = ?").bind(1_000, "touched-client").run();
    await clientTouch(env.DB, "touched-client", 1_000 + TOUCH_INTERVAL - 1).run();
    expect(await lastUsed()).toBe(1_000);
    await clientTouch(env.DB, "touched-client", 1_000 + TOUCH_INTERVAL).run();
    expect(await lastUsed()).toBe(1_000 + TOUCH_INTERVAL);
  });

  it("does not record use on a failed authentication", async () => {
    await env.DB.prepare("UPDATE clients SET last_used_at = NULL WHERE client_id = ?").bind("post-client").run();
    await token({ client_id: "post-client", client_secret: "wrong" });
    const row = await env.DB.prepare("SELECT last_used_at FROM clients WHERE client_id = ?").bind("post-client").first<{ last_used_at: number | null }>();
    expect(row?.last_used_at).toBeNull();
  });
});
