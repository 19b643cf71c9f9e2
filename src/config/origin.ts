// PUBLIC_URL and SCOPES: where Gatehouse answers and what its MCP resource asks of a token. The origin is the
// issuer (RFC 8414 §2) and the base of the resource (RFC 9728 §2); plain http is read and warned about only here.
import { type Reader, isLoopbackHost } from "./reader";
import { parseUrl } from "../lib/url";

export interface Origin {
  publicUrl: string;
  issuer: string;
  mcpResource: string;
  /** Scopes a client may ask for (not counting `offline_access`). */
  scopes: string[];
  defaultScopes: string[];
}

/** The development origin stands in while PUBLIC_URL is wrong, so the pages that stay up can still be built. */
const FALLBACK_ORIGIN = "http://localhost:8787";

export function parseOrigin(read: Reader): Origin {
  const publicUrl = readPublicUrl(read) ?? FALLBACK_ORIGIN;
  const scopes = read.text("SCOPES")?.split(/\s+/) ?? ["mcp"];
  // RFC 6749 §3.3 scope-tokens; offline_access asks for a refresh token (OIDC Core §11) and is accepted on top of these.
  if (scopes.some((s) => !/^[\x21\x23-\x5b\x5d-\x7e]+$/.test(s)) || scopes.includes("offline_access")) {
    read.problem("SCOPES", "must be space-separated scope tokens (RFC 6749 §3.3), not including offline_access");
  }
  return { publicUrl, issuer: publicUrl, mcpResource: `${publicUrl}/mcp`, scopes, defaultScopes: scopes };
}

function readPublicUrl(read: Reader): string | undefined {
  const raw = read.text("PUBLIC_URL");
  if (raw === undefined) {
    read.problem("PUBLIC_URL", "is required (the issuer URL, e.g. https://auth.example.com)");
    return undefined;
  }
  const parsed = parseUrl(raw);
  if (!parsed || (parsed.protocol !== "https:" && parsed.protocol !== "http:")) {
    read.problem("PUBLIC_URL", "must be an absolute https URL");
  } else if (parsed.pathname !== "/" || parsed.search || parsed.hash || parsed.username || parsed.password) {
    read.problem("PUBLIC_URL", "must be an origin only, with no path, query, fragment or credentials");
  } else if (parsed.protocol === "http:" && !isLoopbackHost(parsed.hostname)) {
    read.problem("PUBLIC_URL", "must use https unless the host is loopback");
  } else {
    if (parsed.protocol === "http:") read.warn("PUBLIC_URL uses plain http (loopback only: development)");
    return parsed.origin;
  }
  return undefined;
}
