// Gatehouse's own browser session: an HS256 JWT naming the person who last signed in through this browser. The key
// is a random secret kept by the KeyRing instance "sessions" (never leaves the Worker), imported once per isolate.
import { base64url, jwtVerify, SignJWT } from "jose";
import type { Env } from "../env";
import type { Session } from "../identity";

/** A session lasts this long after the sign-in that started it. */
export const SESSION_TTL_SECONDS = 30 * 86_400;
/** `typ` of a session token, so no other JWT Gatehouse signs can pass for one. */
const TYPE = "gh-session+jwt";

let cached: Promise<Uint8Array> | undefined;

function sessionKey(env: Env): Promise<Uint8Array> {
  if (!cached) {
    const key = env.KEYS.get(env.KEYS.idFromName("sessions")).getSealingKey().then((raw) => base64url.decode(raw));
    key.catch(() => {
      if (cached === key) cached = undefined;
    });
    cached = key;
  }
  return cached;
}

/** A signed session token for `session`, valid for SESSION_TTL_SECONDS. */
export async function signSession(env: Env, issuer: string, session: Session): Promise<string> {
  return new SignJWT({ prv: session.provider, sat: session.signedInAt })
    .setProtectedHeader({ alg: "HS256", typ: TYPE })
    .setIssuer(issuer)
    .setAudience(`${issuer}/session`)
    .setSubject(session.userId)
    .setIssuedAt(Math.floor(session.signedInAt / 1000))
    .setExpirationTime(Math.floor(session.signedInAt / 1000) + SESSION_TTL_SECONDS)
    .sign(await sessionKey(env));
}

/** The session a token carries, or `undefined` when it is malformed, altered, expired or not a session token. */
export async function verifySession(env: Env, issuer: string, token: string): Promise<Session | undefined> {
  try {
    const { payload } = await jwtVerify(token, await sessionKey(env), { algorithms: ["HS256"], typ: TYPE, issuer, audience: `${issuer}/session` });
    if (typeof payload.sub !== "string" || typeof payload.prv !== "string" || typeof payload.sat !== "number") return undefined;
    return { userId: payload.sub, provider: payload.prv, signedInAt: payload.sat };
  } catch {
    return undefined;
  }
}
