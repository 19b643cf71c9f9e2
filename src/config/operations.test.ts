import { describe, expect, it } from "vitest";
import { parseOperations } from "./operations";
import { Reader } from "./reader";

describe("parseOperations", () => {
  it("keeps rate limits and authentication on, with no warning, by default", () => {
    const read = new Reader({});
    expect(parseOperations(read)).toEqual({ adminToken: undefined, eventRetentionDays: 90, rateLimits: true, requireAuth: true, requestLog: "failures" });
    expect([read.problems, read.warnings]).toEqual([[], []]);
  });

  it("warns once for each switch that loosens it", () => {
    const read = new Reader({ RATE_LIMITS: "false", REQUIRE_AUTH: "0" });
    expect(parseOperations(read)).toMatchObject({ rateLimits: false, requireAuth: false });
    expect(read.warnings).toHaveLength(2);
    expect(read.warnings[0]).toMatch(/^RATE_LIMITS is false: /);
    expect(read.warnings[1]).toMatch(/^REQUIRE_AUTH is false: /);
  });

  it.each([["all", "all"], ["FAILURES", "failures"], [" off ", "off"]] as const)("reads REQUEST_LOG=%j", (value, mode) => {
    const read = new Reader({ REQUEST_LOG: value });
    expect(parseOperations(read).requestLog).toBe(mode);
    expect(read.problems).toEqual([]);
  });

  it("keeps logging failures, and names the variable, for another REQUEST_LOG", () => {
    const read = new Reader({ REQUEST_LOG: "everything" });
    expect(parseOperations(read).requestLog).toBe("failures");
    expect(read.problems).toEqual([{ variable: "REQUEST_LOG", message: "must be one of failures, all, off" }]);
  });
});
