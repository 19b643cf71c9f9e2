import { describe, expect, it } from "vitest";
import { adminGroupsOf, admitAdmin, consoleSessionFresh } from "./admin-access";

const access = { emails: ["ada@example.com"], domains: ["ops.example"], groups: ["gatehouse-admins"], groupsClaim: "groups", sessionTtl: 3600 };
const person = { email: "someone@else.example", emailVerified: true, domain: "else.example", groups: [], blocked: false };

describe("admitAdmin", () => {
  it("admits a verified email listed in ADMIN_EMAILS, whatever its case", () => {
    expect(admitAdmin(access, { ...person, email: "Ada@example.com", domain: "example.com" })).toEqual({ ok: true, by: "email" });
  });
  it("admits a verified email of a domain in ADMIN_DOMAINS", () => {
    expect(admitAdmin(access, { ...person, email: "bob@ops.example", domain: "ops.example" })).toEqual({ ok: true, by: "domain" });
  });
  it("admits a member of a group in ADMIN_GROUPS", () => {
    expect(admitAdmin(access, { ...person, groups: ["gatehouse-admins"] })).toEqual({ ok: true, by: "group" });
  });
  it("refuses an unverified email even when it is listed", () => {
    expect(admitAdmin(access, { ...person, email: "ada@example.com", domain: "example.com", emailVerified: false }).ok).toBe(false);
  });
  it("refuses anyone else", () => {
    expect(admitAdmin(access, person).ok).toBe(false);
  });
  it("refuses a blocked person whatever the lists say", () => {
    expect(admitAdmin(access, { ...person, email: "ada@example.com", domain: "example.com", blocked: true })).toEqual({ ok: false, reason: "person is blocked" });
  });
});

describe("adminGroupsOf", () => {
  it("keeps only the admitted groups of an array claim, once each", () => {
    expect(adminGroupsOf(["a", "gatehouse-admins", "gatehouse-admins", 3], ["gatehouse-admins"])).toEqual(["gatehouse-admins"]);
  });
  it("reads a single string claim", () => {
    expect(adminGroupsOf("gatehouse-admins", ["gatehouse-admins"])).toEqual(["gatehouse-admins"]);
  });
  it("reads nothing from a missing claim", () => {
    expect(adminGroupsOf(undefined, ["gatehouse-admins"])).toEqual([]);
  });
});

describe("consoleSessionFresh", () => {
  it("accepts a session younger than ADMIN_SESSION_TTL and refuses an older one", () => {
    expect(consoleSessionFresh(1_000_000, 3600, 1_000_000 + 3_599_000)).toBe(true);
    expect(consoleSessionFresh(1_000_000, 3600, 1_000_000 + 3_600_000)).toBe(false);
  });
  it("refuses a session from the future", () => {
    expect(consoleSessionFresh(2_000_000, 3600, 1_000_000)).toBe(false);
  });
});
