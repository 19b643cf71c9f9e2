// Client ID Metadata Document rules: which URLs are documents, which may be fetched, what a document must say,
// and how long it is cached.
import { describe, expect, it } from "vitest";
import { CIMD_STALE_TTL, cacheLifetime, checkMetadataDocument, fetchTargetProblem, isMetadataDocumentUrl, servesStale } from "./cimd";

const URL_ = "https://app.example.com/oauth/client.json";
const doc = (fields: Record<string, unknown> = {}) => JSON.stringify({ client_id: URL_, client_name: "Example", redirect_uris: ["http://127.0.0.1/callback"], ...fields });

describe("isMetadataDocumentUrl", () => {
  it.each([
    [URL_, true],
    ["https://claude.ai/oauth/claude-code-client-metadata", true],
    ["https://app.example.com/", false],
    ["https://app.example.com", false],
    ["http://app.example.com/client", false],
    ["https://user:pw@app.example.com/client", false],
    ["https://app.example.com/client#frag", false],
    ["a1b2c3", false],
  ])("%s → %s", (id, expected) => {
    expect(isMetadataDocumentUrl(id)).toBe(expected);
  });
});

describe("fetchTargetProblem", () => {
  it.each(["https://10.0.0.1/x", "https://[::1]/x", "https://169.254.169.254/x", "https://127.0.0.1/x", "https://192.168.1.2/x", "https://172.16.0.1/x", "https://100.64.0.1/x", "https://0.0.0.0/x", "https://[fd00::1]/x", "https://[fe80::1]/x", "https://[::ffff:10.0.0.1]/x", "https://localhost/x", "http://app.example.com/x"])(
    "refuses %s",
    (url) => {
      expect(fetchTargetProblem(url)).toEqual(expect.any(String));
    },
  );

  it.each([URL_, "https://93.184.216.34/client", "https://[2606:4700::1111]/client"])("allows %s", (url) => {
    expect(fetchTargetProblem(url)).toBeUndefined();
  });
});

describe("checkMetadataDocument", () => {
  it("keeps the display fields that pass the registration rules", () => {
    const checked = checkMetadataDocument(URL_, doc({ client_name: " Claude Code ", client_uri: "https://claude.ai", logo_uri: "", policy_uri: "https://claude.ai/privacy" }));
    expect(checked).toMatchObject({ ok: true, document: { clientName: "Claude Code", metadata: { client_name: "Claude Code", client_uri: "https://claude.ai", logo_uri: undefined, policy_uri: "https://claude.ai/privacy" } } });
  });

  it("accepts a minimal public-client document, defaulting grant types and detecting a native client", () => {
    const checked = checkMetadataDocument(URL_, doc({ redirect_uris: ["cursor://anysphere.cursor-mcp/oauth/callback"] }));
    expect(checked).toMatchObject({ ok: true, document: { clientName: "Example", grantTypes: ["authorization_code"], applicationType: "native" } });
  });

  it.each([
    ["not JSON", "{nope", "not JSON"],
    ["an array", "[]", "not a JSON object"],
    ["a mismatching client_id", doc({ client_id: "https://evil.example/client" }), "differs from its URL"],
    ["no client_name", JSON.stringify({ client_id: URL_, redirect_uris: ["http://127.0.0.1/cb"] }), "client_name"],
    ["no redirect_uris", JSON.stringify({ client_id: URL_, client_name: "x" }), "redirect_uris"],
    ["a client_secret", doc({ client_secret: "s" }), "client_secret"],
    ["confidential authentication", doc({ token_endpoint_auth_method: "client_secret_basic" }), "token_endpoint_auth_method"],
    ["a javascript: redirect URI", doc({ redirect_uris: ["javascript:alert(1)"] }), "redirect_uris.0"],
    ["an ms-msdt: redirect URI (an OS protocol handler)", doc({ redirect_uris: ["ms-msdt:/id%20PCWDiagnostic"] }), "redirect_uris.0"],
    ["a dotless private-use scheme (RFC 8252 §7.1)", doc({ redirect_uris: ["myapp://callback"] }), "redirect_uris.0"],
    ["a plain-http non-loopback redirect URI", doc({ redirect_uris: ["http://app.example.com/cb"] }), "redirect_uris.0"],
    ["no authorization_code grant", doc({ grant_types: ["refresh_token"] }), "authorization_code"],
    ["a bidi override in client_name", doc({ client_name: "Evil\u202eemaN" }), "client_name must not contain control, format or invisible characters"],
    ["a zero-width space in client_name", doc({ client_name: "Clau\u200bde" }), "client_name must not contain"],
    ["a blank client_name", doc({ client_name: "\u3164" }), "client_name must not contain"],
    ["an overlong client_name", doc({ client_name: "x".repeat(129) }), "client_name must be at most 128 characters"],
    ["a javascript: client_uri", doc({ client_uri: "javascript:alert(1)" }), "client_uri must be an https URL"],
    ["an http logo_uri", doc({ logo_uri: "http://app.example.com/logo.png" }), "logo_uri must be an https URL"],
    ["a logo_uri with credentials", doc({ logo_uri: "https://user:pw@app.example.com/logo.png" }), "logo_uri must be an https URL"],
    ["a tos_uri that is not a URL", doc({ tos_uri: "terms" }), "tos_uri must be an https URL"],
  ])("refuses %s", (_name, body, problem) => {
    const checked = checkMetadataDocument(URL_, body);
    expect(checked.ok).toBe(false);
    if (!checked.ok) expect(checked.problem).toContain(problem);
  });
});

describe("cacheLifetime", () => {
  it.each([
    [null, 300],
    ["max-age=60", 300],
    ["public, max-age=3600", 3600],
    ["max-age=999999", 86400],
    ["no-store", 300],
    ["no-cache, max-age=3600", 300],
  ])("Cache-Control %s → %i s", (header, seconds) => {
    expect(cacheLifetime(header)).toBe(seconds);
  });
});

describe("servesStale", () => {
  const now = 1_800_000_000;
  it.each([
    ["fetched a day ago, origin failing", now - 86400, false, true],
    ["fetched just under 7 days ago", now - CIMD_STALE_TTL + 1, false, true],
    ["fetched 7 days ago", now - CIMD_STALE_TTL, false, false],
    ["never fetched", undefined, false, false],
    ["origin answered 404 or 410", now - 60, true, false],
  ])("%s → %s", (_name, fetchedAt, gone, expected) => {
    expect(servesStale(fetchedAt, now, gone)).toBe(expected);
  });
});
