// ALLOWED_EMAIL_DOMAINS and EMAIL_POLICY=work: who may sign in by email domain.
import { describe, expect, it } from "vitest";
import { parseConfig } from "../config";
import { candidateDomains, type EmailDomainLookup } from "../db/email-domains";
import { checkEmailDomain, classifyEmailDomain, emailRules } from "./email-domain";

const base = { PUBLIC_URL: "https://auth.example.com", UPSTREAM_ISSUER: "https://idp.example.com", UPSTREAM_CLIENT_ID: "gatehouse" };
const work = parseConfig({ ...base, EMAIL_POLICY: "work" } as never);
const notListed: EmailDomainLookup = { loaded: true, listed: [] };

describe("checkEmailDomain", () => {
  it("admits every domain when ALLOWED_EMAIL_DOMAINS is unset", () => {
    expect(checkEmailDomain(parseConfig(base as never), { domain: "gmail.com", verified: true })).toEqual({ ok: true });
  });

  it("admits listed domains case-insensitively and refuses others, subdomains and a missing email", () => {
    const config = parseConfig({ ...base, ALLOWED_EMAIL_DOMAINS: "Example.com, example.org" } as never);
    expect(checkEmailDomain(config, { domain: "EXAMPLE.com", verified: true })).toEqual({ ok: true });
    expect(checkEmailDomain(config, { domain: "example.org", verified: true })).toEqual({ ok: true });
    expect(checkEmailDomain(config, { domain: "gmail.com", verified: true })).toEqual({ ok: false, error: "not_allowed", reason: "email domain not in ALLOWED_EMAIL_DOMAINS" });
    expect(checkEmailDomain(config, { domain: "eu.example.com", verified: true }).ok).toBe(false);
    expect(checkEmailDomain(config, { domain: undefined, verified: true })).toEqual({ ok: false, error: "no_domain", reason: "no email domain to check against ALLOWED_EMAIL_DOMAINS" });
  });

  it("does not warn about EMAIL_POLICY=work any more: it is enforced", () => {
    expect(work.problems).toEqual([]);
    expect(work.warnings.join(" ")).not.toMatch(/EMAIL_POLICY/);
  });
});

describe("checkEmailDomain with EMAIL_POLICY=work", () => {
  it("refuses a domain listed as free mail, naming the list", () => {
    expect(checkEmailDomain(work, { domain: "gmail.com", verified: true }, { loaded: true, listed: [{ domain: "gmail.com", kind: "free" }] })).toEqual({
      ok: false,
      error: "free",
      reason: "EMAIL_POLICY=work: free-mail domain",
    });
  });

  it("refuses a domain listed as disposable, and a subdomain of one", () => {
    const expected = { ok: false, error: "disposable", reason: "EMAIL_POLICY=work: disposable email domain" };
    expect(checkEmailDomain(work, { domain: "mailinator.com", verified: true }, { loaded: true, listed: [{ domain: "mailinator.com", kind: "disposable" }] })).toEqual(expected);
    expect(checkEmailDomain(work, { domain: "a.b.mailinator.com", verified: true }, { loaded: true, listed: [{ domain: "mailinator.com", kind: "disposable" }] })).toEqual(expected);
  });

  it("admits a domain on neither list", () => {
    expect(checkEmailDomain(work, { domain: "analytical.example", verified: true }, notListed)).toEqual({ ok: true });
  });

  it("refuses an identity without an email domain before any lookup", () => {
    expect(checkEmailDomain(work, { domain: undefined, verified: true })).toEqual({ ok: false, error: "no_domain", reason: "no email domain to check against EMAIL_POLICY=work" });
  });

  it("fails closed while the lists are not loaded, telling the operator what to run", () => {
    expect(checkEmailDomain(work, { domain: "analytical.example", verified: true }, { loaded: false, listed: [] })).toEqual({
      ok: false,
      error: "list_not_loaded",
      reason: "EMAIL_POLICY=work but the email_domains table is empty: run npm run email-domains -- --remote",
    });
  });

  it("is a bug to check EMAIL_POLICY=work without the lookup", () => {
    expect(() => checkEmailDomain(work, { domain: "analytical.example", verified: true })).toThrow(/without the email_domains lookup/);
  });

  it("applies both rules when ALLOWED_EMAIL_DOMAINS is set too", () => {
    const both = parseConfig({ ...base, EMAIL_POLICY: "work", ALLOWED_EMAIL_DOMAINS: "gmail.com, analytical.example" } as never);
    expect(checkEmailDomain(both, { domain: "gmail.com", verified: true }, { loaded: true, listed: [{ domain: "gmail.com", kind: "free" }] })).toMatchObject({ ok: false, error: "free" });
    expect(checkEmailDomain(both, { domain: "other.example", verified: true }, notListed)).toMatchObject({ ok: false, error: "not_allowed" });
    expect(checkEmailDomain(both, { domain: "analytical.example", verified: true }, notListed)).toEqual({ ok: true });
    expect(checkEmailDomain(both, { domain: "analytical.example", verified: true }, { loaded: false, listed: [] })).toMatchObject({ ok: false, error: "list_not_loaded" });
  });
});

describe("checkEmailDomain with an unverified address (ALLOW_UNVERIFIED_EMAIL)", () => {
  const unverified = (domain: string) => ({ domain, verified: false });

  it("admits it when no domain rule is configured", () => {
    expect(checkEmailDomain(parseConfig({ ...base, ALLOW_UNVERIFIED_EMAIL: "true" } as never), unverified("anything.example"))).toEqual({ ok: true });
  });

  it("refuses it under ALLOWED_EMAIL_DOMAINS even when its domain is listed: an unverified domain proves nothing", () => {
    const config = parseConfig({ ...base, ALLOW_UNVERIFIED_EMAIL: "true", ALLOWED_EMAIL_DOMAINS: "victim.example" } as never);
    expect(checkEmailDomain(config, unverified("victim.example"))).toEqual({ ok: false, error: "unverified", reason: "unverified email address under ALLOWED_EMAIL_DOMAINS" });
    expect(checkEmailDomain(config, { domain: "victim.example", verified: true })).toEqual({ ok: true });
  });

  it("refuses it under EMAIL_POLICY=work before any lookup, and under both rules", () => {
    expect(checkEmailDomain(work, unverified("analytical.example"))).toEqual({ ok: false, error: "unverified", reason: "unverified email address under EMAIL_POLICY=work" });
    const both = parseConfig({ ...base, EMAIL_POLICY: "work", ALLOWED_EMAIL_DOMAINS: "analytical.example" } as never);
    expect(checkEmailDomain(both, unverified("analytical.example"), notListed)).toEqual({ ok: false, error: "unverified", reason: "unverified email address under ALLOWED_EMAIL_DOMAINS and EMAIL_POLICY=work" });
  });
});

describe("emailRules", () => {
  it("names the rules configured, none by default: then every address is admitted", () => {
    expect(emailRules(parseConfig(base as never))).toEqual([]);
    expect(emailRules(parseConfig({ ...base, ALLOWED_EMAIL_DOMAINS: "example.com" } as never))).toEqual(["ALLOWED_EMAIL_DOMAINS"]);
    expect(emailRules(parseConfig({ ...base, ALLOWED_EMAIL_DOMAINS: "example.com", EMAIL_POLICY: "work" } as never))).toEqual(["ALLOWED_EMAIL_DOMAINS", "EMAIL_POLICY=work"]);
  });
});

describe("classifyEmailDomain", () => {
  it("finds disposable domains at any level, before a free listing", () => {
    expect(classifyEmailDomain("x.usa.cc", [{ domain: "x.usa.cc", kind: "free" }, { domain: "usa.cc", kind: "disposable" }])).toBe("disposable");
    expect(classifyEmailDomain("Sub.Mailinator.com", [{ domain: "mailinator.com", kind: "disposable" }])).toBe("disposable");
  });

  it("finds free mail only for the listed domain itself: the free list names shared suffixes like com.ar", () => {
    expect(classifyEmailDomain("gmail.com", [{ domain: "gmail.com", kind: "free" }])).toBe("free");
    expect(classifyEmailDomain("acme.com.ar", [{ domain: "com.ar", kind: "free" }])).toBeUndefined();
  });

  it("ignores listed domains that are not the domain or one of its parents", () => {
    expect(classifyEmailDomain("analytical.example", [{ domain: "mailinator.com", kind: "disposable" }, { domain: "gmail.com", kind: "free" }])).toBeUndefined();
    expect(classifyEmailDomain("analytical.example", [{ domain: "example", kind: "disposable" }])).toBeUndefined();
  });
});

describe("candidateDomains", () => {
  it("lists the domain and its parents, most specific first, never the bare top-level label", () => {
    expect(candidateDomains("a.b.mailinator.com")).toEqual(["a.b.mailinator.com", "b.mailinator.com", "mailinator.com"]);
    expect(candidateDomains("gmail.com")).toEqual(["gmail.com"]);
    expect(candidateDomains("localhost")).toEqual([]);
  });

  it("lower-cases, drops a trailing dot and yields nothing for an empty label", () => {
    expect(candidateDomains("Mail.Example.COM.")).toEqual(["mail.example.com", "example.com"]);
    expect(candidateDomains("a..example.com")).toEqual([]);
    expect(candidateDomains("")).toEqual([]);
  });
});
