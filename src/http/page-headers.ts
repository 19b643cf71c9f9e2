// Headers for the pages of the browser flow (/authorize, /callback): no framing, no foreign content, no caching.
import { createMiddleware } from "hono/factory";
import { secureHeaders } from "hono/secure-headers";
import type { AppEnv } from "./app-env";

// No `form-action`: browsers apply it to the redirects that follow the consent form's POST (to the upstream
// provider, then the client's redirect URI, possibly a custom scheme), which it would block.
const secure = secureHeaders({
  contentSecurityPolicy: { defaultSrc: ["'none'"], styleSrc: ["'unsafe-inline'"], imgSrc: ["'self'", "https:"], frameAncestors: ["'none'"], baseUri: ["'none'"] },
  xFrameOptions: "DENY",
});

/** CSP with `frame-ancestors 'none'`, `X-Frame-Options: DENY` (clickjacking on consent), and `Cache-Control: no-store`. */
export const browserPageHeaders = createMiddleware<AppEnv>(async (c, next) => {
  await secure(c, async () => {
    await next();
    c.header("Cache-Control", "no-store");
  });
});
