// A person's standing, re-checked after their sign-in: not blocked by an administrator, and still admitted by
// EMAIL_POLICY / ALLOWED_EMAIL_DOMAINS as they are now (the operator may have tightened them since).
import type { Context } from "hono";
import { eventInsertsWhere, type SecurityEvent } from "../db/events";
import { STORED_UNBLOCKED, userStanding } from "../db/users";
import type { AppEnv } from "../http/app-env";
import { audit, markWritten, tagged } from "../http/audit";
import { PageError } from "../errors";
import { emailRules } from "../policy/email-domain";
import { admitEmailDomain } from "./email-admission";

export type Standing = { ok: true } | { ok: false; reason: "blocked" | "email_policy" | "unknown_user"; detail: string };

/**
 * Whether the person `userId` may still hold grants: one D1 read, and the domain lists only under EMAIL_POLICY=work.
 * `passed` are the events recording what the standing allows, stored when (and only when) it is good.
 */
export async function checkStanding(c: Context<AppEnv>, userId: string, passed: SecurityEvent[] = []): Promise<Standing> {
  // With no email rule (the default) the standing is the row alone, which SQL can check: the events then go in the
  // read's batch on that condition, and the request writes nothing after its response.
  const withRead = emailRules(c.get("config")).length === 0 ? passed.map((e) => tagged(c, e)) : [];
  const standing = await userStanding(c.env.DB, userId, eventInsertsWhere(c.env.DB, withRead, STORED_UNBLOCKED, [userId]));
  if (!standing) return { ok: false, reason: "unknown_user", detail: "the person is no longer stored" };
  if (standing.blocked) return { ok: false, reason: "blocked", detail: "the person is blocked" };
  const admitted = await admitEmailDomain(c, { domain: standing.domain, verified: standing.emailVerified });
  // A domain list not loaded is the operator's fault (sign-ins get a 503 page); it revokes nobody's grants.
  if (!admitted.ok && admitted.error !== "list_not_loaded") return { ok: false, reason: "email_policy", detail: `email policy: ${admitted.error}` };
  if (withRead.length > 0) markWritten(c, withRead);
  else for (const event of passed) audit(c, event);
  return { ok: true };
}

/** The page a blocked person sees instead of being signed in. */
export function blockedPage(serviceName: string): PageError {
  return new PageError("Your access has been blocked", `An administrator of ${serviceName} has blocked your account, so you cannot sign in here. If you think this is a mistake, contact them.`, {
    status: 403,
    reason: "sign-in of a blocked person",
  });
}
