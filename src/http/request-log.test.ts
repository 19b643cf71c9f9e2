import { describe, expect, it } from "vitest";
import { logsRequest } from "./request-log";

describe("logsRequest", () => {
  it.each([
    ["failures", false, false],
    ["failures", true, true],
    ["all", false, true],
    ["all", true, true],
    ["off", false, false],
    ["off", true, false],
  ] as const)("with REQUEST_LOG=%s, a request that failed=%s is logged: %s", (mode, failed, logged) => {
    expect(logsRequest(mode, failed)).toBe(logged);
  });
});
