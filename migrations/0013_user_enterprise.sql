-- The enterprise whose identity provider last asserted this person (an ID-JAG redeemed at /token,
-- src/oauth/grants/jwt-bearer.ts): the trusted issuer, as TRUSTED_ENTERPRISE_IDPS names it. NULL: never asserted.
ALTER TABLE users ADD COLUMN enterprise TEXT;
