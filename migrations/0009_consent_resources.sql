-- Remembered consent covers the protected resources (RFC 8707) it was given for: approving a client for /mcp does not
-- approve it for a gateway server (src/policy/consent.ts `resourceApproved`). NULL: recorded before resources were
-- kept, when the built-in /mcp was the only resource.
ALTER TABLE consents ADD COLUMN resources TEXT;
