// ALLOWED_EMAIL_DOMAINS: who may sign in by email domain.
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config";
import { checkEmailDomain } from "../../src/upstream/email-policy";

const base = { PUBLIC_URL: "https://auth.example.com", UPSTREAM_ISSUER: "https://idp.example.com", UPSTREAM_CLIENT_ID: "gatehouse" };

describe("checkEmailDomain", () => {
  it("admits every domain when ALLOWED_EMAIL_DOMAINS is unset", () => {
    expect(checkEmailDomain(parseConfig(base as never), "gmail.com")).toEqual({ ok: true });
  });

  it("admits listed domains case-insensitively and refuses others, subdomains and a missing email", () => {
    const config = parseConfig({ ...base, ALLOWED_EMAIL_DOMAINS: "Example.com, example.org" } as never);
    expect(checkEmailDomain(config, "EXAMPLE.com")).toEqual({ ok: true });
    expect(checkEmailDomain(config, "example.org")).toEqual({ ok: true });
    expect(checkEmailDomain(config, "gmail.com").ok).toBe(false);
    expect(checkEmailDomain(config, "eu.example.com").ok).toBe(false);
    expect(checkEmailDomain(config, undefined).ok).toBe(false);
  });

  it("warns that EMAIL_POLICY=work is not enforced yet", () => {
    expect(parseConfig({ ...base, EMAIL_POLICY: "work" } as never).warnings).toContainEqual(expect.stringContaining("EMAIL_POLICY=work is not enforced yet"));
  });
});
