// Redirect URI policy: what may be registered (RFC 7591, RFC 8252, OAuth 2.1 §2.3.1) and how a presented URI matches.
import { isLoopbackHost } from "../config";

/** Longest redirect URI accepted; real ones are far shorter, and the bound keeps stored metadata small. */
export const MAX_REDIRECT_URI_LENGTH = 2000;

/**
 * Schemes that are never a redirect target: they run script or show content in the browser that followed the
 * redirect (javascript, data, vbscript, blob, filesystem, view-source, about), read local files (file, jar), or
 * are not redirect endpoints at all (ftp, ws, wss, mailto, tel, sms, intent — the last can start any Android app).
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
]);

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
 * - Private-use schemes (`cursor://…`, `com.example.app:/cb`, RFC 8252 §7.1) only for native clients: a web
 *   client has no app to receive them. `/register` infers `native` when `application_type` is omitted and a
 *   URI needs it, since Cursor and other MCP clients omit the field. RFC 8252's reverse-DNS naming is not
 *   required: `cursor` and `vscode` schemes are in use and only the OS decides which app receives them.
 * - Never: forbidden schemes, fragments (RFC 6749 §3.1.2), `*` wildcards, userinfo, relative references,
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

function parseUrl(value: string): URL | undefined {
  try {
    return new URL(value);
  } catch {
    return undefined;
  }
}
