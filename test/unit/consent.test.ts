// The consent page's wording helpers: where the answer goes, and scopes in words.
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config";
import type { Env } from "../../src/env";
import { describeScope, redirectTarget } from "../../src/ui/consent";

const config = parseConfig({ PUBLIC_URL: "https://auth.example.com", UPSTREAM_ISSUER: "https://idp.example.com", UPSTREAM_CLIENT_ID: "gh", SERVICE_NAME: "Acme Tools" } as Env);

describe("redirectTarget", () => {
  it.each([
    ["https://claude.ai/api/mcp/auth_callback", { label: "claude.ai", local: false }],
    ["https://app.example:8443/cb", { label: "app.example:8443", local: false }],
    ["http://127.0.0.1:33418/callback", { label: "an app on this computer (127.0.0.1)", local: true }],
    ["http://localhost:6274/oauth/callback", { label: "an app on this computer (localhost)", local: true }],
    ["http://[::1]:9/cb", { label: "an app on this computer ([::1])", local: true }],
    ["cursor://anysphere.cursor-retrieval/oauth/callback", { label: "the app that opens cursor:// links", local: true }],
  ])("%s", (uri, expected) => {
    expect(redirectTarget(uri)).toEqual(expected);
  });
});

describe("describeScope", () => {
  it("says what each scope allows", () => {
    expect(describeScope("mcp", config)).toBe("Use Acme Tools as you: call its tools and read what they return");
    expect(describeScope("offline_access", config)).toBe("Stay connected when you are not using it, until you revoke access");
    expect(describeScope("files:read", config)).toBe('Use the "files:read" permission');
  });
});
