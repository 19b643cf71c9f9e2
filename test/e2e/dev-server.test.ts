import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Gatehouse, startGatehouse } from "./harness";

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
});
