// Redirect URI policy: registration rules (RFC 8252, OAuth 2.1 §2.3.1) and matching (exact; loopback any port).
import { describe, expect, it } from "vitest";
import { checkRedirectUri, matchRedirectUri } from "./redirect-uri";

describe("checkRedirectUri accepts", () => {
  it.each([
    ["an https URI", "https://client.example.com/callback"],
    ["an https URI with a port and query", "https://client.example.com:8443/cb?tenant=a"],
    ["Claude's hosted callback", "https://claude.ai/api/mcp/auth_callback"],
    ["ChatGPT's hosted callback", "https://chatgpt.com/connector_platform_oauth_redirect"],
    ["VS Code's web redirect", "https://vscode.dev/redirect"],
    ["an https URI with an upper-case host", "https://Client.Example.COM/cb"],
    ["an https loopback URI", "https://localhost:3000/cb"],
    ["http on 127.0.0.1 with a port (RFC 8252 §7.3)", "http://127.0.0.1:33418/"],
    ["http on 127.0.0.1 without a port", "http://127.0.0.1/oauth/callback"],
    ["http on another 127/8 address", "http://127.1.2.3:9000/cb"],
    ["http on [::1] with a port (RFC 8252 §7.3)", "http://[::1]:8080/cb"],
    ["http on localhost (Claude Code, mcp-remote)", "http://localhost:54212/callback"],
    ["http on localhost with no path", "http://localhost:6274"],
  ])("%s for a web client", (_name, uri) => {
    expect(checkRedirectUri(uri, "web")).toBeUndefined();
    expect(checkRedirectUri(uri, "native")).toBeUndefined();
  });

  it.each([
    ["a reverse-DNS private-use scheme (RFC 8252 §7.1)", "com.example.app:/oauth2redirect/example-provider"],
    ["Cursor's scheme", "cursor://anysphere.cursor-retrieval/oauth/user-abc/callback"],
    ["VS Code's scheme", "vscode://vscode.github-authentication/did-authenticate"],
    ["VS Code Insiders' scheme", "vscode-insiders://vscode.github-authentication/did-authenticate"],
    ["Cursor's MCP callback", "cursor://anysphere.cursor-mcp/oauth/callback"],
    ["a reverse-DNS scheme with a query", "com.example.app://callback?from=gatehouse"],
    ["a reverse-DNS scheme with digits and hyphens", "io.my-company.app2:/cb"],
  ])("%s for a native client only", (_name, uri) => {
    expect(checkRedirectUri(uri, "native")).toBeUndefined();
    expect(checkRedirectUri(uri, "web")).toBe("may use a private-use scheme only for a native client (application_type native)");
  });
});

describe("checkRedirectUri rejects", () => {
  it.each([
    ["javascript:", "javascript:alert(1)", "must not use the javascript: scheme"],
    ["upper-case JavaScript:", "JavaScript://example.com/%0Aalert(1)", "must not use the javascript: scheme"],
    ["data:", "data:text/html,<script>alert(1)</script>", "must not use the data: scheme"],
    ["file:", "file:///etc/passwd", "must not use the file: scheme"],
    ["vbscript:", "vbscript:msgbox(1)", "must not use the vbscript: scheme"],
    ["blob:", "blob:https://example.com/0d4c2d5f", "must not use the blob: scheme"],
    ["about:", "about:blank", "must not use the about: scheme"],
    ["view-source:", "view-source:https://example.com/", "must not use the view-source: scheme"],
    ["http on a public host", "http://client.example.com/cb", "must use https unless the host is loopback (localhost, 127.0.0.1 or [::1])"],
    ["http on a host that merely starts with localhost", "http://localhost.evil.com/cb", "must use https unless the host is loopback (localhost, 127.0.0.1 or [::1])"],
    ["http on a subdomain of localhost", "http://app.localhost/cb", "must use https unless the host is loopback (localhost, 127.0.0.1 or [::1])"],
    ["http on a private address", "http://192.168.1.10/cb", "must use https unless the host is loopback (localhost, 127.0.0.1 or [::1])"],
    ["a shortened loopback address", "http://127.1/cb", "must write its host in canonical form"],
    ["a hexadecimal loopback address", "http://0x7f.0.0.1/cb", "must write its host in canonical form"],
    ["a decimal loopback address", "http://2130706433/cb", "must write its host in canonical form"],
    ["an expanded IPv6 loopback", "http://[0:0:0:0:0:0:0:1]/cb", "must write its host in canonical form"],
    ["a percent-encoded host", "https://evil%2Ecom/cb", "must write its host in canonical form"],
    ["a fragment", "https://client.example.com/cb#section", "must not contain a fragment"],
    ["an empty fragment", "https://client.example.com/cb#", "must not contain a fragment"],
    ["a wildcard host", "https://*.example.com/cb", "must not contain wildcards"],
    ["a wildcard path", "https://client.example.com/*", "must not contain wildcards"],
    ["userinfo", "https://user:pass@client.example.com/cb", "must not contain user information"],
    ["a user name that disguises the host", "https://client.example.com@evil.com/cb", "must not contain user information"],
    ["userinfo in a private-use URI", "com.example.app://user@host/cb", "must not contain user information"],
    ["a relative path", "/callback", "is not an absolute URI"],
    ["a scheme-relative URI", "//client.example.com/cb", "is not an absolute URI"],
    ["plain text", "not a url", "contains whitespace, control or non-ASCII characters"],
    ["an empty string", "", "is empty"],
    ["leading whitespace", " https://client.example.com/cb", "contains whitespace, control or non-ASCII characters"],
    ["a tab", "https://client.example.com/c\tb", "contains whitespace, control or non-ASCII characters"],
    ["a newline", "https://client.example.com/cb\n", "contains whitespace, control or non-ASCII characters"],
    ["a NUL byte", "https://client.example.com/\u0000cb", "contains whitespace, control or non-ASCII characters"],
    ["non-ASCII characters", "https://clïent.example.com/cb", "contains whitespace, control or non-ASCII characters"],
    ["a backslash", "https://client.example.com\\@evil.com/cb", "must not contain backslashes"],
    ["https without a host", "https:///cb", "must have a host"],
    ["https without slashes", "https:client.example.com", "must have a host"],
    ["a scheme alone", "myapp:", "is not an absolute URI"],
    ["a private-use scheme with no path", "com.example.app://", "must have a path after the scheme"],
    ["a dotless private-use scheme no MCP client uses (RFC 8252 §7.1)", "myapp://callback?from=gatehouse", "must use a private-use scheme named as a reverse domain (such as com.example.app:)"],
    ["a reverse-DNS scheme with an empty label", "com..app:/cb", "must use a private-use scheme named as a reverse domain (such as com.example.app:)"],
    ["a reverse-DNS scheme ending in a dot", "com.example.:/cb", "must use a private-use scheme named as a reverse domain (such as com.example.app:)"],
    ["a scheme with a plus", "com.example+app:/cb", "must use a private-use scheme named as a reverse domain (such as com.example.app:)"],
    ["an out-of-range port", "http://127.0.0.1:70000/cb", "is not an absolute URI"],
    ["an overlong URI", `https://client.example.com/${"a".repeat(2000)}`, "is longer than 2000 characters"],
  ])("%s", (_name, uri, reason) => {
    expect(checkRedirectUri(uri, "native")).toBe(reason);
    expect(checkRedirectUri(uri, "web")).toBe(reason);
  });
});

describe("checkRedirectUri refuses dangerous operating-system protocol handlers", () => {
  it.each([
    ["ms-msdt:/id%20PCWDiagnostic%20/skip%20force"],
    ["search-ms:query=invoice&crumb=location:%5C%5Cattacker.example%5Cshare"],
    ["search:query=x"],
    ["ms-search:query=x"],
    ["ms-officecmd:%7B%22id%22:3%7D"],
    ["ms-word:ofe|u|https://attacker.example/doc.docx"],
    ["ms-excel:ofv|u|https://attacker.example/book.xlsx"],
    ["ms-powerpoint:ofe|u|https://attacker.example/p.pptx"],
    ["ms-settings:privacy"],
    ["ms-appinstaller:?source=https://attacker.example/x.appinstaller"],
    ["ms-cxh-full://0"],
    ["ms-its:mhtml:file://c:/x.mht!https://attacker.example/x.chm::/x.htm"],
    ["hcp://services/search?query=x"],
    ["smb://attacker.example/share"],
    ["ssh://attacker.example/"],
    ["MS-MSDT:/id%20PCWDiagnostic"],
  ])("%s", (uri) => {
    const scheme = uri.slice(0, uri.indexOf(":")).toLowerCase();
    expect(checkRedirectUri(uri, "native")).toBe(`must not use the ${scheme}: scheme`);
    expect(checkRedirectUri(uri, "web")).toBe(`must not use the ${scheme}: scheme`);
  });
});

describe("matchRedirectUri", () => {
  const registered = [
    "https://client.example.com/cb",
    "http://127.0.0.1/callback",
    "http://localhost:3000/oauth/callback?x=1",
    "http://[::1]/cb",
    "cursor://anysphere.cursor-retrieval/oauth/callback",
  ];

  it.each([
    ["the identical https URI", "https://client.example.com/cb", "https://client.example.com/cb"],
    ["the identical private-use URI", "cursor://anysphere.cursor-retrieval/oauth/callback", "cursor://anysphere.cursor-retrieval/oauth/callback"],
    ["127.0.0.1 on an ephemeral port (RFC 8252 §7.3)", "http://127.0.0.1:51004/callback", "http://127.0.0.1/callback"],
    ["127.0.0.1 on no port", "http://127.0.0.1/callback", "http://127.0.0.1/callback"],
    ["localhost on a different port than registered", "http://localhost:49152/oauth/callback?x=1", "http://localhost:3000/oauth/callback?x=1"],
    ["localhost with no port when one was registered", "http://localhost/oauth/callback?x=1", "http://localhost:3000/oauth/callback?x=1"],
    ["[::1] on a port", "http://[::1]:8080/cb", "http://[::1]/cb"],
  ])("matches %s", (_name, presented, expected) => {
    expect(matchRedirectUri(registered, presented)).toBe(expected);
  });

  it.each([
    ["an https URI with a different path", "https://client.example.com/cb/extra"],
    ["an https URI with a trailing slash", "https://client.example.com/cb/"],
    ["an https URI with an added query", "https://client.example.com/cb?x=1"],
    ["an https URI with a port (no port leniency for https)", "https://client.example.com:443/cb"],
    ["an https URI differing only in case", "https://CLIENT.example.com/cb"],
    ["http where https was registered", "http://client.example.com/cb"],
    ["a loopback URI with a different path", "http://127.0.0.1:51004/other"],
    ["a loopback URI with a different query", "http://localhost:3000/oauth/callback?x=2"],
    ["a loopback URI with the query dropped", "http://localhost:3000/oauth/callback"],
    ["another loopback host than registered", "http://localhost:51004/callback"],
    ["another 127/8 address than registered", "http://127.0.0.2:51004/callback"],
    ["https on a registered http loopback URI", "https://127.0.0.1:51004/callback"],
    ["a loopback URI with an out-of-range port", "http://127.0.0.1:99999/callback"],
    ["a loopback URI with a fragment", "http://127.0.0.1:51004/callback#x"],
    ["a loopback host used as userinfo", "http://127.0.0.1:51004@evil.com/callback"],
    ["a loopback host followed by a domain", "http://127.0.0.1.evil.com/callback"],
    ["a private-use URI with a different path", "cursor://anysphere.cursor-retrieval/oauth/other"],
    ["an empty string", ""],
  ])("refuses %s", (_name, presented) => {
    expect(matchRedirectUri(registered, presented)).toBeUndefined();
  });

  it("refuses everything when nothing is registered", () => {
    expect(matchRedirectUri([], "http://127.0.0.1/callback")).toBeUndefined();
  });
});
