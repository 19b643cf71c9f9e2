// PKCE S256 as Gatehouse requires it. @see https://www.rfc-editor.org/rfc/rfc7636
import { describe, expect, it } from "vitest";
import { CODE_CHALLENGE, CODE_VERIFIER, pkceS256 } from "./pkce";

describe("pkceS256", () => {
  it("computes the RFC 7636 Appendix B challenge", async () => {
    expect(await pkceS256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")).toBe("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
  });

  it.each([
    ["43 unreserved characters", "a".repeat(43), true],
    ["128 characters with every unreserved symbol", `${"A".repeat(124)}-._~`, true],
    ["42 characters", "a".repeat(42), false],
    ["129 characters", "a".repeat(129), false],
    ["a plus sign", `${"a".repeat(42)}+`, false],
    ["a slash", `${"a".repeat(42)}/`, false],
    ["padding", `${"a".repeat(42)}=`, false],
  ])("verifier and challenge syntax: %s", (_name, value, valid) => {
    expect(CODE_VERIFIER.test(value)).toBe(valid);
    expect(CODE_CHALLENGE.test(value)).toBe(valid);
  });
});
