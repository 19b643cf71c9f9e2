// Redirect URI policy: what may be registered (RFC 7591, RFC 8252, OAuth 2.1 §2.3.1) and how a presented URI matches.
import { isLoopbackHost } from "../config";
import { parseUrl } from "../lib/url";

/** Longest redirect URI accepted; real ones are far shorter, and the bound keeps stored metadata small. */
export const MAX_REDIRECT_URI_LENGTH = 2000;

/**
 * Schemes that are never a redirect target: they run script or show content in the browser that followed the
 * redirect (javascript, data, vbscript, blob, filesystem, view-source, about), read local files (file, jar), or
 * are not redirect endpoints at all (ftp, ws, wss, mailto, tel, sms, intent — the last can start any Android app).
 * Then operating-system protocol handlers that a link can use to run code or open remote files: Windows'
 * diagnostics tool (ms-msdt, CVE-2022-30190 "Follina"), search (search-ms, search, ms-search: remote folders that
 * look local), Office (ms-officecmd and the ms-word, ms-excel… handlers, which open remote documents), settings
 * and installers (ms-settings, ms-appinstaller, ms-cxh), compiled help (ms-its, its, mk, hcp), and handlers that
 * open remote shares or shells (smb, afp, ssh, telnet, x-apple-systempreferences).
 */
const FORBIDDEN_SCHEMES = new Set([
  "javascript",
  "data",
  "vbscript",
  "blob",
  "filesystem",
  "view-source",
  "about",
  "file",
  "jar",
  "ftp",
  "ws",
  "wss",
  "mailto",
  "tel",
  "sms",
  "intent",
  "ms-msdt",
  "search-ms",
  "search",
  "ms-search",
  "ms-officecmd",
  "ms-word",
  "ms-excel",
  "ms-powerpoint",
  "ms-visio",
  "ms-access",
  "ms-project",
  "ms-publisher",
  "ms-infopath",
  "ms-spd",
  "ms-settings",
  "ms-appinstaller",
  "ms-cxh",
  "ms-cxh-full",
  "ms-its",
  "its",
  "mk",
  "hcp",
  "x-apple-systempreferences",
  "smb",
  "afp",
  "ssh",
  "telnet",
]);

/**
 * Private-use schemes without a dot that MCP clients register today (Cursor's `cursor://anysphere.…`, VS Code's
 * `vscode://…`); every other private-use scheme must be a reverse domain name (RFC 8252 §7.1).
 */
const KNOWN_APP_SCHEMES = new Set(["cursor", "vscode", "vscode-insiders"]);

/** A reverse domain name as a scheme (`com.example.app`): two or more dot-separated labels. @see RFC 8252 §7.1 */
const REVERSE_DOMAIN_SCHEME = /^[a-z][a-z0-9-]*(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+$/;

/** RFC 3986 §3.1 scheme, followed by the rest of an absolute URI. */
const ABSOLUTE_URI = /^([A-Za-z][A-Za-z0-9+.-]*):(.+)$/s;

/**
 * Loopback http URI split into the part before the port, the port, and the rest. The host alternatives are
 * exactly the literal forms `checkRedirectUri` accepts, so no other spelling can reach the any-port rule.
 */
const LOOPBACK_HTTP = /^(http:\/\/(?:localhost|127(?:\.\d{1,3}){3}|\[::1\]))(?::(\d{1,5}))?([/?].*)?$/is;

/**
 * `undefined` when `uri` may be registered by a client of `applicationType`, else the reason it may not.
 *
 * - `https` URIs with a host: any client (RFC 8252 §7.2 claimed https URIs for native apps too).
 * - `http` only on a loopback host written literally as `localhost`, `127.x.x.x` or `[::1]` (RFC 8252 §7.3,
 *   §8.3), for any client: CLI and desktop clients (Claude Code, VS Code, mcp-remote) and the browser-based
 *   MCP Inspector on localhost all use it, and a loopback redirect cannot leave the user's machine. `localhost`
 *   is allowed although §8.3 prefers IP literals, because that is what these clients register.
 * - Private-use schemes only for native clients: a web client has no app to receive them. `/register` infers
 *   `native` when `application_type` is omitted and a URI needs it, since Cursor and other MCP clients omit the
 *   field. The scheme must be a reverse domain name (`com.example.app:/cb`, RFC 8252 §7.1), or one of the
 *   few dotless schemes MCP clients use today (`cursor:`, `vscode:`, `vscode-insiders:`): a short word such as
 *   `myapp:` may be claimed by any program, and the operating system's own handlers run code.
 * - Never: forbidden schemes (including dangerous OS protocol handlers such as `ms-msdt:` and `search-ms:`), fragments (RFC 6749 §3.1.2), `*` wildcards, userinfo, relative references,
 *   whitespace, control or non-ASCII characters (register the percent-encoded form), backslashes, and hosts
 *   not written in canonical form (`127.1`, `0x7f.0.0.1`, `%2e`), since matching is by exact string.
 *
 * @see https://www.rfc-editor.org/rfc/rfc8252#section-7
 * @see https://datatracker.ietf.org/doc/html/draft-ietf-oauth-v2-1-13#section-2.3.1
 */
export function checkRedirectUri(uri: string, applicationType: "web" | "native"): string | undefined {
  if (uri.length === 0) return "is empty";
  if (uri.length > MAX_REDIRECT_URI_LENGTH) return `is longer than ${MAX_REDIRECT_URI_LENGTH} characters`;
  if (!/^[\x21-\x7e]+$/.test(uri)) return "contains whitespace, control or non-ASCII characters";
  if (uri.includes("#")) return "must not contain a fragment";
  if (uri.includes("*")) return "must not contain wildcards";
  if (uri.includes("\\")) return "must not contain backslashes";
  const parts = ABSOLUTE_URI.exec(uri);
  const url = parseUrl(uri);
  if (!parts || !url) return "is not an absolute URI";
  const scheme = (parts[1] ?? "").toLowerCase();
  if (FORBIDDEN_SCHEMES.has(scheme)) return `must not use the ${scheme}: scheme`;
  const rawAuthority = authority(parts[2] ?? "");
  if (url.username || url.password || rawAuthority?.includes("@")) return "must not contain user information";

  if (scheme === "https" || scheme === "http") {
    if (rawAuthority === undefined || rawAuthority === "") return "must have a host";
    const rawHost = rawAuthority.replace(/:\d*$/, "").toLowerCase();
    if (rawHost !== url.hostname) return "must write its host in canonical form";
    if (scheme === "http" && !isLoopbackHost(url.hostname)) return "must use https unless the host is loopback (localhost, 127.0.0.1 or [::1])";
    return undefined;
  }

  if (parts[2] === "/" || parts[2] === "//") return "must have a path after the scheme";
  if (!KNOWN_APP_SCHEMES.has(scheme) && !REVERSE_DOMAIN_SCHEME.test(scheme)) return "must use a private-use scheme named as a reverse domain (such as com.example.app:)";
  if (applicationType !== "native") return "may use a private-use scheme only for a native client (application_type native)";
  return undefined;
}

/**
 * The registered URI that `presented` matches: the identical string, or — for a registered loopback http URI —
 * the same URI with any port (RFC 8252 §7.3: the client picks a free port per request). Scheme, host, path and
 * query must still be character-for-character equal.
 *
 * @see https://www.rfc-editor.org/rfc/rfc8252#section-7.3
 * @see https://datatracker.ietf.org/doc/html/draft-ietf-oauth-v2-1-13#section-4.1.3
 */
export function matchRedirectUri(registered: readonly string[], presented: string): string | undefined {
  const exact = registered.find((uri) => uri === presented);
  if (exact !== undefined) return exact;
  const key = loopbackKey(presented);
  if (key === undefined) return undefined;
  return registered.find((uri) => loopbackKey(uri) === key);
}

/** A loopback http URI without its port, or `undefined` for anything else (including an out-of-range port). */
function loopbackKey(uri: string): string | undefined {
  const parts = LOOPBACK_HTTP.exec(uri);
  if (!parts) return undefined;
  if (parts[2] !== undefined && Number(parts[2]) > 65_535) return undefined;
  return `${parts[1]}${parts[3] ?? ""}`;
}

/** The raw authority of a hierarchical URI's scheme-specific part (`//authority/path`), or `undefined` if it has none. */
function authority(rest: string): string | undefined {
  if (!rest.startsWith("//")) return undefined;
  return /^\/\/([^/?]*)/.exec(rest)?.[1];
}
