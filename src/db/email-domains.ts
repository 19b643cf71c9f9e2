// D1 `email_domains`: the free-mail and disposable domain lists EMAIL_POLICY=work checks, loaded by
// scripts/email-domains.mjs (`npm run email-domains`), never bundled into the Worker.

export type EmailDomainKind = "free" | "disposable";

/** A listed domain that is the email domain itself or one of its parents. */
export interface ListedDomain {
  domain: string;
  kind: EmailDomainKind;
}

/** What the lists say about one email domain: whether they are loaded at all, and every listed candidate. */
export interface EmailDomainLookup {
  loaded: boolean;
  listed: ListedDomain[];
}

/**
 * `domain` and its parent domains, most specific first, never a bare top-level label:
 * `a.b.mailinator.com` → `a.b.mailinator.com`, `b.mailinator.com`, `mailinator.com`.
 */
export function candidateDomains(domain: string): string[] {
  const labels = domain.toLowerCase().replace(/\.$/, "").split(".");
  if (labels.some((label) => label === "")) return [];
  const candidates: string[] = [];
  for (let i = 0; i < labels.length - 1; i++) candidates.push(labels.slice(i).join("."));
  return candidates;
}

/** The listed candidates of `domain` (see `candidateDomains`) and whether the table has any row, in one query. */
export async function lookupEmailDomain(db: D1Database, domain: string): Promise<EmailDomainLookup> {
  const row = await db
    .prepare(
      `SELECT EXISTS (SELECT 1 FROM email_domains) AS loaded,
         (SELECT json_group_array(json_object('domain', domain, 'kind', kind)) FROM email_domains
           WHERE domain IN (SELECT value FROM json_each(?))) AS listed`,
    )
    .bind(JSON.stringify(candidateDomains(domain)))
    .first<{ loaded: number; listed: string }>();
  if (!row) throw new Error("email_domains lookup returned no row");
  return { loaded: row.loaded === 1, listed: JSON.parse(row.listed) as ListedDomain[] };
}
