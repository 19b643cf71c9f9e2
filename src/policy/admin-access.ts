// Who may enter the admin console: a verified email listed in ADMIN_EMAILS, a verified email of a domain in
// ADMIN_DOMAINS, or a group in ADMIN_GROUPS. Pure: the person's record and the configuration in, a decision out.
import type { AdminAccess } from "../config/admin";

/** The person as D1 `users` knows them at their last sign-in. */
export interface AdminCandidate {
  email?: string;
  emailVerified: boolean;
  domain?: string;
  /** Their groups among ADMIN_GROUPS at their last sign-in. */
  groups: readonly string[];
  blocked: boolean;
}

export type AdminDecision = { ok: true; by: "email" | "domain" | "group" } | { ok: false; reason: string };

/**
 * Whether `person` is an administrator. An unverified email proves nothing, so it admits by neither list; a blocked
 * person is never admitted, whatever the lists say.
 */
export function admitAdmin(access: AdminAccess, person: AdminCandidate): AdminDecision {
  if (person.blocked) return { ok: false, reason: "person is blocked" };
  if (person.groups.some((g) => access.groups.includes(g))) return { ok: true, by: "group" };
  if (!person.emailVerified || person.email === undefined) return { ok: false, reason: "no verified email and no admin group" };
  if (access.emails.includes(person.email.toLowerCase())) return { ok: true, by: "email" };
  if (person.domain !== undefined && access.domains.includes(person.domain.toLowerCase())) return { ok: true, by: "domain" };
  return { ok: false, reason: "not in ADMIN_EMAILS, ADMIN_DOMAINS or ADMIN_GROUPS" };
}

/** The groups of a claim value (an array of strings, or one string) that are among `admitted`, deduplicated. */
export function adminGroupsOf(value: unknown, admitted: readonly string[]): string[] {
  const values = Array.isArray(value) ? value : [value];
  return [...new Set(values.filter((v): v is string => typeof v === "string" && admitted.includes(v)))];
}

/** Whether a session that began at `signedInAt` (epoch ms) is recent enough for the console at `now`. */
export function consoleSessionFresh(signedInAt: number, sessionTtlSeconds: number, now: number): boolean {
  return signedInAt <= now && now - signedInAt < sessionTtlSeconds * 1000;
}
