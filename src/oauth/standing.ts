// A person's standing, re-checked after their sign-in: not blocked by an administrator, and still admitted by
// EMAIL_POLICY / ALLOWED_EMAIL_DOMAINS as they are now (the operator may have tightened them since).
import type { Context } from "hono";
import { userStanding } from "../db/users";
import type { AppEnv } from "../http/app-env";
import { PageError } from "../errors";
import { admitEmailDomain } from "./email-admission";

export type Standing = { ok: true } | { ok: false; reason: "blocked" | "email_policy" | "unknown_user"; detail: string };

/** Whether the person `userId` may still hold grants: one D1 read, and the domain lists only under EMAIL_POLICY=work. */
export async function checkStanding(c: Context<AppEnv>, userId: string): Promise<Standing> {
  const standing = await userStanding(c.env.DB, userId);
  if (!standing) return { ok: false, reason: "unknown_user", detail: "the person is no longer stored" };
  if (standing.blocked) return { ok: false, reason: "blocked", detail: "the person is blocked" };
  const admitted = await admitEmailDomain(c, { domain: standing.domain, verified: standing.emailVerified });
  // A domain list not loaded is the operator's fault (sign-ins get a 503 page); it revokes nobody's grants.
  if (!admitted.ok && admitted.error !== "list_not_loaded") return { ok: false, reason: "email_policy", detail: `email policy: ${admitted.error}` };
  return { ok: true };
}

/** The page a blocked person sees instead of being signed in. */
export function blockedPage(serviceName: string): PageError {
  return new PageError("Your access has been blocked", `An administrator of ${serviceName} has blocked your account, so you cannot sign in here. If you think this is a mistake, contact them.`, {
    status: 403,
    reason: "sign-in of a blocked person",
  });
}
