// Who may sign in, by email domain (ALLOWED_EMAIL_DOMAINS). Pure: the callback applies it before any user is stored.
import type { Config } from "../config";

export type EmailDecision = { ok: true } | { ok: false; reason: string };

/**
 * Admits `domain` when ALLOWED_EMAIL_DOMAINS is empty or lists it (exactly, case-insensitively; subdomains are
 * separate domains and must be listed). EMAIL_POLICY=work is not enforced yet (issue 7): config warns about it.
 */
export function checkEmailDomain(config: Config, domain: string | undefined): EmailDecision {
  if (config.allowedEmailDomains.length === 0) return { ok: true };
  if (domain === undefined) return { ok: false, reason: "no email domain to check against ALLOWED_EMAIL_DOMAINS" };
  return config.allowedEmailDomains.includes(domain.toLowerCase()) ? { ok: true } : { ok: false, reason: "email domain not in ALLOWED_EMAIL_DOMAINS" };
}
