import { describe, expect, it } from "vitest";
import { parseOperations } from "./operations";
import { Reader } from "./reader";

describe("parseOperations", () => {
  it("keeps rate limits and authentication on, with no warning, by default", () => {
    const read = new Reader({});
    expect(parseOperations(read)).toEqual({ adminToken: undefined, eventRetentionDays: 90, rateLimits: true, requireAuth: true });
    expect([read.problems, read.warnings]).toEqual([[], []]);
  });

  it("warns once for each switch that loosens it", () => {
    const read = new Reader({ RATE_LIMITS: "false", REQUIRE_AUTH: "0" });
    expect(parseOperations(read)).toMatchObject({ rateLimits: false, requireAuth: false });
    expect(read.warnings).toHaveLength(2);
    expect(read.warnings[0]).toMatch(/^RATE_LIMITS is false: /);
    expect(read.warnings[1]).toMatch(/^REQUIRE_AUTH is false: /);
  });
});
