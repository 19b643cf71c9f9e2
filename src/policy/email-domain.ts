// Who may sign in, by email domain (ALLOWED_EMAIL_DOMAINS, EMAIL_POLICY=work). Pure: the callback applies it before
// any user is stored, with the D1 lookup of the free-mail and disposable lists (src/db/email-domains.ts).
import type { Config } from "../config";
import { candidateDomains, type EmailDomainKind, type EmailDomainLookup, type ListedDomain } from "../db/email-domains";

/** Why a domain was refused; the callback shows one page per kind (src/oauth/email-admission.ts). */
export type EmailRefusal = "not_allowed" | "no_domain" | "unverified" | "free" | "disposable" | "list_not_loaded";

/** The address a sign-in presents: its lower-cased domain, and whether the provider verified it. */
export interface PresentedEmail {
  domain: string | undefined;
  verified: boolean;
}

export type EmailDecision = { ok: true } | { ok: false; error: EmailRefusal; reason: string };

/**
 * Admits `email` when every configured rule does:
 * - with any domain rule configured, the address must be verified: an unverified one (admitted at all only under
 *   ALLOW_UNVERIFIED_EMAIL) proves nothing about its domain, since anyone can type `ceo@victim.example`;
 * - ALLOWED_EMAIL_DOMAINS, when set, must list its domain (exactly, case-insensitively; subdomains are separate);
 * - EMAIL_POLICY=work refuses what `classifyEmailDomain` finds in `lookup` (the lists for the domain, required then),
 *   an identity without an email domain, and everyone while the lists are not loaded (fails closed).
 * Both rules apply when both are set, so a listed free-mail domain stays refused under EMAIL_POLICY=work.
 */
export function checkEmailDomain(config: Config, email: PresentedEmail, lookup?: EmailDomainLookup): EmailDecision {
  const { domain } = email;
  const rules = emailRules(config);
  if (rules.length === 0) return { ok: true };
  if (domain === undefined) return refuse("no_domain", `no email domain to check against ${rules[0]}`);
  if (!email.verified) return refuse("unverified", `unverified email address under ${rules.join(" and ")}`);
  if (config.allowedEmailDomains.length > 0 && !config.allowedEmailDomains.includes(domain.toLowerCase())) {
    return refuse("not_allowed", "email domain not in ALLOWED_EMAIL_DOMAINS");
  }
  if (config.emailPolicy !== "work") return { ok: true };
  if (!lookup) throw new Error("EMAIL_POLICY=work checked without the email_domains lookup");
  if (!lookup.loaded) return refuse("list_not_loaded", "EMAIL_POLICY=work but the email_domains table is empty: run npm run email-domains -- --remote");
  const kind = classifyEmailDomain(domain, lookup.listed);
  if (kind === "disposable") return refuse("disposable", "EMAIL_POLICY=work: disposable email domain");
  if (kind === "free") return refuse("free", "EMAIL_POLICY=work: free-mail domain");
  return { ok: true };
}

/** The domain rules configured, by their variables' names: with none, every address is admitted. */
export function emailRules(config: Pick<Config, "allowedEmailDomains" | "emailPolicy">): string[] {
  return [...(config.allowedEmailDomains.length > 0 ? ["ALLOWED_EMAIL_DOMAINS"] : []), ...(config.emailPolicy === "work" ? ["EMAIL_POLICY=work"] : [])];
}

/**
 * What the lists make of `domain`, given its listed candidates: disposable when it or a parent is listed disposable
 * (those services hand out subdomains); free only when it is itself listed free, because the free list also names
 * shared suffixes (`com.ar`, `net.ua`) under which companies have their own domains.
 */
export function classifyEmailDomain(domain: string, listed: ListedDomain[]): EmailDomainKind | undefined {
  const candidates = candidateDomains(domain);
  if (listed.some((l) => l.kind === "disposable" && candidates.includes(l.domain))) return "disposable";
  return listed.some((l) => l.kind === "free" && l.domain === candidates[0]) ? "free" : undefined;
}

function refuse(error: EmailRefusal, reason: string): EmailDecision {
  return { ok: false, error, reason };
}
