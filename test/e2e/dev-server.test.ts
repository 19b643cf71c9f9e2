import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Gatehouse, startGatehouse } from "../support/node/wrangler-dev";

describe("wrangler dev", () => {
  let server: Gatehouse;
  beforeAll(async () => {
    server = await startGatehouse(8801);
  });
  afterAll(async () => {
    await server?.stop();
  });

  it("serves the health check", async () => {
    const res = await fetch(`${server.url}/healthz`);
    expect(res.status).toBe(200);
  });

  // DNS rebinding: a page on another name that resolves to 127.0.0.1 reaches wrangler dev with its own Host.
  it("refuses a request addressed to another host name than PUBLIC_URL's", async () => {
    const res = await fetch(`http://127.0.0.1:${server.port}/.well-known/oauth-authorization-server`);
    expect(res.status).toBe(421);
    expect((await res.json()) as { error: string }).toEqual({ error: "invalid_request", error_description: `this server answers at ${server.url} only` });
  });

  it("redirects a browser that typed 127.0.0.1 to PUBLIC_URL", async () => {
    const res = await fetch(`http://127.0.0.1:${server.port}/authorize?client_id=x`, { headers: { Accept: "text/html" }, redirect: "manual" });
    expect(res.status).toBe(307);
    expect(res.headers.get("Location")).toBe(`${server.url}/authorize?client_id=x`);
  });
});
