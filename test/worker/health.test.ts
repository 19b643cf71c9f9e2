import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";

describe("health", () => {
  it("answers 200 at /healthz", async () => {
    const res = await exports.default.fetch("http://localhost:8787/healthz");
    expect(res.status).toBe(200);
  });
});
