import { describe, expect, it } from "vitest";
import type { ClaimMap } from "../config";
import { CLAIM_LIMITS, isTrue, mapClaims, normaliseEmail, readClaim } from "./claims";

const DEFAULT: ClaimMap = { subject: "sub", email: "email", emailVerified: "email_verified", name: "name", orgId: "org_id", orgName: "org_name" };

describe("readClaim", () => {
  it("reads a top-level claim", () => {
    expect(readClaim({ email: "a@b.co" }, "email")).toBe("a@b.co");
  });

  it("walks a dot path through nested objects", () => {
    expect(readClaim({ org: { id: "o1", meta: { name: "Acme" } } }, "org.meta.name")).toBe("Acme");
  });

  it("prefers a literal key containing dots (namespaced claims)", () => {
    const claims = { "https://example.com/org": "literal", https: { "//example": { "com/org": "walked" } } };
    expect(readClaim(claims, "https://example.com/org")).toBe("literal");
  });

  it("returns undefined for a missing segment, an array or a primitive on the way", () => {
    expect(readClaim({ org: { id: "o1" } }, "org.name")).toBeUndefined();
    expect(readClaim({ org: ["o1"] }, "org.0")).toBeUndefined();
    expect(readClaim({ org: "acme" }, "org.id")).toBeUndefined();
  });

  it("does not read inherited properties", () => {
    expect(readClaim({}, "constructor")).toBeUndefined();
    expect(readClaim({ org: {} }, "org.toString")).toBeUndefined();
  });
});

describe("isTrue", () => {
  it.each([
    [true, true],
    ["true", true],
    [" TRUE ", true],
    [false, false],
    ["false", false],
    [1, false],
    ["yes", false],
    [undefined, false],
    [null, false],
  ])("treats %j as %s", (value, expected) => {
    expect(isTrue(value)).toBe(expected);
  });
});

describe("normaliseEmail", () => {
  it("trims and lower-cases the domain only", () => {
    expect(normaliseEmail("  Alice.Smith@Example.COM ")).toBe("Alice.Smith@example.com");
  });

  it.each(["", "alice", "@example.com", "alice@", "alice@localhost", "alice@exa mple.com", "a b@example.com", "<a>@example.com", 42, null])(
    "rejects %j",
    (value) => {
      expect(normaliseEmail(value)).toBeUndefined();
    },
  );

  it("rejects an address longer than 254 characters", () => {
    expect(normaliseEmail(`${"a".repeat(250)}@ex.com`)).toBeUndefined();
    expect(normaliseEmail(`${"a".repeat(247)}@ex.com`)).toHaveLength(254);
  });
});

describe("mapClaims", () => {
  it("maps the standard OpenID Connect claims", () => {
    const result = mapClaims("okta", { sub: " 00u1 ", email: "Bob@Acme.io", email_verified: true, name: " Bob ", org_id: "acme", org_name: "Acme Inc" }, DEFAULT);
    expect(result).toEqual({
      ok: true,
      identity: { provider: "okta", subject: "00u1", email: "Bob@acme.io", emailVerified: true, domain: "acme.io", name: "Bob", orgId: "acme", orgName: "Acme Inc" },
    });
  });

  it("follows a custom claim map with dot paths", () => {
    const map: ClaimMap = { subject: "id", email: "contact.mail", emailVerified: "contact.verified", name: "login", orgId: "https://example.com/org_id", orgName: "company.name" };
    const claims = { id: 583231, login: "octocat", contact: { mail: "o@github.com", verified: "true" }, "https://example.com/org_id": 7, company: { name: "GitHub" } };
    const result = mapClaims("github", claims, map);
    expect(result).toEqual({
      ok: true,
      identity: { provider: "github", subject: "583231", email: "o@github.com", emailVerified: true, domain: "github.com", name: "octocat", orgId: "7", orgName: "GitHub" },
    });
  });

  it("treats email_verified given as the string \"true\" as verified, and anything else as not", () => {
    const verified = (value: unknown) => {
      const result = mapClaims("p", { sub: "s", email: "a@b.co", email_verified: value }, DEFAULT);
      return result.ok && result.identity.emailVerified;
    };
    expect(verified("true")).toBe(true);
    expect(verified("false")).toBe(false);
    expect(verified(undefined)).toBe(false);
    expect(verified(1)).toBe(false);
  });

  it("never calls an absent or malformed email verified", () => {
    const result = mapClaims("p", { sub: "s", email: "not-an-email", email_verified: true }, DEFAULT);
    expect(result).toEqual({ ok: true, identity: { provider: "p", subject: "s", email: undefined, emailVerified: false, domain: undefined, name: undefined, orgId: undefined, orgName: undefined } });
  });

  it.each([
    ["missing", {}],
    ["empty", { sub: "   " }],
    ["an object", { sub: { id: 1 } }],
    ["a fraction", { sub: 1.5 }],
    ["too long", { sub: "x".repeat(CLAIM_LIMITS.subject + 1) }],
    ["carrying control characters", { sub: "a\nb" }],
  ])("fails when the subject is %s", (_label, claims) => {
    const result = mapClaims("p", claims, DEFAULT);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.reason).toBe('subject claim "sub" is missing or not a usable identifier');
  });

  it("cuts over-long names to their bound and drops over-long organisation ids", () => {
    const result = mapClaims("p", { sub: "s", name: `  ${"n".repeat(300)}`, org_id: "o".repeat(201), org_name: "A\u0000B" }, DEFAULT);
    expect(result.ok && result.identity.name).toBe("n".repeat(CLAIM_LIMITS.text));
    expect(result.ok && result.identity.orgId).toBeUndefined();
    expect(result.ok && result.identity.orgName).toBe("A B");
  });

  it("ignores claims of the wrong type", () => {
    const result = mapClaims("p", { sub: "s", name: 42, org_name: ["Acme"], email: ["a@b.co"] }, DEFAULT);
    expect(result.ok && result.identity).toMatchObject({ name: undefined, orgName: undefined, email: undefined });
  });
});
