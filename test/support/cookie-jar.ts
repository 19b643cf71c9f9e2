// A browser-like cookie store for the headless browser: RFC 6265 domain/path matching, expiry, Secure, SameSite
// and the `__Host-`/`__Secure-` prefixes, so a cookie a real browser would refuse or withhold is refused here too.
// @see https://www.rfc-editor.org/rfc/rfc6265#section-5.3
// @see https://datatracker.ietf.org/doc/html/draft-ietf-httpbis-rfc6265bis#section-4.1.3 (cookie prefixes)

/** One stored cookie. */
export interface Cookie {
  name: string;
  value: string;
  /** Host the cookie was set by (host-only) or the Domain attribute's value. */
  domain: string;
  hostOnly: boolean;
  path: string;
  secure: boolean;
  httpOnly: boolean;
  sameSite: "strict" | "lax" | "none";
  /** Epoch milliseconds; undefined for a session cookie. */
  expires?: number;
}

/** Why a Set-Cookie header was refused, for test diagnostics. */
export interface RefusedCookie {
  header: string;
  reason: string;
}

/**
 * The loopback hosts browsers treat as potentially trustworthy origins: Secure cookies are accepted from them
 * over plain http (Chrome and Firefox both do).
 * @see https://w3c.github.io/webappsec-secure-contexts/#is-origin-trustworthy
 */
export function isTrustworthy(url: URL): boolean {
  if (url.protocol === "https:") return true;
  return url.protocol === "http:" && (url.hostname === "localhost" || url.hostname.endsWith(".localhost") || url.hostname === "127.0.0.1" || url.hostname === "[::1]");
}

/** The schemeful site of a URL, close enough for loopback tests: scheme + host (ports do not matter). */
export function siteOf(url: URL): string {
  return `${url.protocol}//${url.hostname}`;
}

export class CookieJar {
  readonly #cookies: Cookie[] = [];
  /** Set-Cookie headers that were refused, with the rule that refused them. */
  readonly refused: RefusedCookie[] = [];

  /** Stores the cookies of a response's Set-Cookie headers received from `url`. */
  store(url: URL, setCookieHeaders: string[], now = Date.now()): void {
    for (const header of setCookieHeaders) {
      const result = parseSetCookie(url, header, now);
      if ("reason" in result) {
        this.refused.push({ header: header.replace(/=.*?(;|$)/, "=…$1"), reason: result.reason });
        continue;
      }
      const index = this.#cookies.findIndex((c) => c.name === result.name && c.domain === result.domain && c.path === result.path);
      if (index >= 0) this.#cookies.splice(index, 1);
      if (result.expires === undefined || result.expires > now) this.#cookies.push(result);
    }
  }

  /**
   * The Cookie header for a request to `url`. `crossSite` is true when the request's initiator (the page that
   * submitted the form, or the first URL of a redirect chain) is another site; `topLevelGet` says whether it is a
   * top-level GET navigation, which still carries SameSite=Lax cookies cross-site.
   * @see https://datatracker.ietf.org/doc/html/draft-ietf-httpbis-rfc6265bis#section-5.8.3
   */
  header(url: URL, options: { crossSite: boolean; topLevelGet: boolean }, now = Date.now()): string | undefined {
    const matching = this.#cookies
      .filter((c) => c.expires === undefined || c.expires > now)
      .filter((c) => (c.hostOnly ? url.hostname === c.domain : domainMatches(url.hostname, c.domain)))
      .filter((c) => pathMatches(url.pathname, c.path))
      .filter((c) => !c.secure || isTrustworthy(url))
      .filter((c) => !options.crossSite || c.sameSite === "none" || (c.sameSite === "lax" && options.topLevelGet))
      .sort((a, b) => b.path.length - a.path.length);
    return matching.length > 0 ? matching.map((c) => `${c.name}=${c.value}`).join("; ") : undefined;
  }

  /** Every stored cookie (for assertions on attributes). */
  all(now = Date.now()): Cookie[] {
    return this.#cookies.filter((c) => c.expires === undefined || c.expires > now);
  }
}

function parseSetCookie(url: URL, header: string, now: number): Cookie | { reason: string } {
  const [pair = "", ...attributes] = header.split(";");
  const eq = pair.indexOf("=");
  if (eq < 0) return { reason: "no name=value pair" };
  const name = pair.slice(0, eq).trim();
  const value = pair.slice(eq + 1).trim();
  if (!name) return { reason: "empty name" };
  const cookie: Cookie = { name, value, domain: url.hostname, hostOnly: true, path: defaultPath(url), secure: false, httpOnly: false, sameSite: "lax" };
  let hasDomain = false;
  let maxAge: number | undefined;
  for (const attribute of attributes) {
    const i = attribute.indexOf("=");
    const key = (i < 0 ? attribute : attribute.slice(0, i)).trim().toLowerCase();
    const val = i < 0 ? "" : attribute.slice(i + 1).trim();
    if (key === "domain" && val) {
      const domain = val.replace(/^\./, "").toLowerCase();
      if (!domainMatches(url.hostname, domain)) return { reason: `Domain=${domain} does not match ${url.hostname}` };
      cookie.domain = domain;
      cookie.hostOnly = false;
      hasDomain = true;
    } else if (key === "path") {
      cookie.path = val.startsWith("/") ? val : defaultPath(url);
    } else if (key === "expires") {
      const at = Date.parse(val);
      if (!Number.isNaN(at)) cookie.expires = at;
    } else if (key === "max-age") {
      if (/^-?\d+$/.test(val)) maxAge = Number(val);
    } else if (key === "secure") {
      cookie.secure = true;
    } else if (key === "httponly") {
      cookie.httpOnly = true;
    } else if (key === "samesite") {
      const v = val.toLowerCase();
      cookie.sameSite = v === "strict" ? "strict" : v === "none" ? "none" : "lax";
    }
  }
  // Max-Age wins over Expires (RFC 6265 §5.3 step 3).
  if (maxAge !== undefined) cookie.expires = maxAge <= 0 ? now - 1 : now + maxAge * 1000;
  if (cookie.secure && !isTrustworthy(url)) return { reason: "Secure cookie from an insecure origin" };
  if (cookie.sameSite === "none" && !cookie.secure) return { reason: "SameSite=None without Secure" };
  if (name.startsWith("__Secure-") && !cookie.secure) return { reason: "__Secure- prefix without Secure" };
  if (name.startsWith("__Host-") && !(cookie.secure && !hasDomain && cookie.path === "/")) {
    return { reason: "__Host- prefix needs Secure, Path=/ and no Domain" };
  }
  return cookie;
}

/** @see https://www.rfc-editor.org/rfc/rfc6265#section-5.1.4 */
function defaultPath(url: URL): string {
  const path = url.pathname;
  if (!path.startsWith("/") || path.lastIndexOf("/") === 0) return "/";
  return path.slice(0, path.lastIndexOf("/"));
}

/** @see https://www.rfc-editor.org/rfc/rfc6265#section-5.1.4 */
function pathMatches(requestPath: string, cookiePath: string): boolean {
  if (requestPath === cookiePath) return true;
  if (!requestPath.startsWith(cookiePath)) return false;
  return cookiePath.endsWith("/") || requestPath[cookiePath.length] === "/";
}

/** @see https://www.rfc-editor.org/rfc/rfc6265#section-5.1.3 */
function domainMatches(host: string, domain: string): boolean {
  if (host === domain) return true;
  // IP addresses only match themselves.
  if (/^[\d.]+$/.test(host) || host.startsWith("[")) return false;
  return host.endsWith(`.${domain}`);
}
