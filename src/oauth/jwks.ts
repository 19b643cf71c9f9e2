// GET /.well-known/jwks.json: the public keys that verify Gatehouse's access tokens. @see RFC 7517 §5, RFC 8414 §2
import { Hono } from "hono";
import type { AppEnv } from "../http/app-env";
import { oauthErrors } from "../http/respond";
import { publicKeys } from "../tokens/key-cache";

/** Verifiers may cache this long; a new key is published a full rotation period before it signs. */
const MAX_AGE_SECONDS = 300;

/** The access-token KeyRing's current, next and retired public keys. */
export const jwksRoutes = new Hono<AppEnv>();

jwksRoutes.get("/.well-known/jwks.json", oauthErrors, async (c) => {
  const keys = await publicKeys(c.env);
  return c.json({ keys }, 200, { "Cache-Control": `public, max-age=${MAX_AGE_SECONDS}` });
});
