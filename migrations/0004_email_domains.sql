-- Free-mail and disposable email domains, for EMAIL_POLICY=work (src/db/email-domains.ts, src/policy/email-domain.ts).
-- Loaded, not migrated: `npm run email-domains -- --remote` (scripts/email-domains.mjs) replaces every row from the
-- pinned npm lists `email-providers` ('free') and `disposable-email-domains-js` ('disposable'; wins when in both).
-- While it is empty, EMAIL_POLICY=work refuses every sign-in (fails closed).
CREATE TABLE email_domains (
  domain TEXT PRIMARY KEY,
  kind TEXT NOT NULL CHECK (kind IN ('free', 'disposable'))
) WITHOUT ROWID;
