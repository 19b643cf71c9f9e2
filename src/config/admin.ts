// The admin console (/admin): who may enter (ADMIN_EMAILS, ADMIN_DOMAINS, ADMIN_GROUPS from ADMIN_GROUPS_CLAIM), how
// long its sign-in lasts (ADMIN_SESSION_TTL), the console's own client, and the feedback tool's switch (FEEDBACK_TOOL).
import type { StaticClient } from "./clients";
import type { Reader } from "./reader";

/** The client id of the console's own sign-in through /authorize (a static, public, first-party client). */
export const CONSOLE_CLIENT_ID = "gatehouse-console";
/** Where the console's sign-in comes back. */
export const CONSOLE_CALLBACK_PATH = "/admin/callback";

export interface AdminAccess {
  /** Verified emails admitted, lower-cased (`ADMIN_EMAILS`). */
  emails: string[];
  /** Verified email domains admitted, lower-cased (`ADMIN_DOMAINS`). */
  domains: string[];
  /** Groups admitted (`ADMIN_GROUPS`), read from the ID token claim `groupsClaim` at sign-in. */
  groups: string[];
  /** The claim holding the person's groups (`ADMIN_GROUPS_CLAIM`, default `groups`; a dotted path walks nested objects). */
  groupsClaim: string;
  /** Seconds a console sign-in lasts (`ADMIN_SESSION_TTL`): an older session cookie must sign in again. */
  sessionTtl: number;
}

export interface Console {
  /** `undefined` when no ADMIN_EMAILS, ADMIN_DOMAINS or ADMIN_GROUPS is set: /admin then does not exist. */
  admin?: AdminAccess;
  /** `FEEDBACK_TOOL=false` leaves `submit_feedback` out of the built-in server; on by default. */
  feedbackTool: boolean;
}

function list(read: Reader, variable: "ADMIN_EMAILS" | "ADMIN_DOMAINS" | "ADMIN_GROUPS", lower: boolean): string[] {
  return (read.text(variable) ?? "")
    .split(/[\s,]+/)
    .map((v) => (lower ? v.trim().toLowerCase() : v.trim()))
    .filter(Boolean);
}

export function parseConsole(read: Reader): Console {
  const emails = list(read, "ADMIN_EMAILS", true);
  if (emails.some((e) => !/^[^@\s]+@[a-z0-9.-]+\.[a-z0-9-]{2,}$/.test(e))) read.problem("ADMIN_EMAILS", "must be a comma-separated list of email addresses");
  const domains = list(read, "ADMIN_DOMAINS", true);
  if (domains.some((d) => !/^[a-z0-9.-]+\.[a-z0-9-]{2,}$/.test(d))) read.problem("ADMIN_DOMAINS", "must be a comma-separated list of domain names");
  const groups = list(read, "ADMIN_GROUPS", false);
  const groupsClaim = read.text("ADMIN_GROUPS_CLAIM") ?? "groups";
  const sessionTtl = read.bounded("ADMIN_SESSION_TTL", 3600, 300, 86_400);
  const feedbackTool = read.flag("FEEDBACK_TOOL", true);
  const enabled = emails.length > 0 || domains.length > 0 || groups.length > 0;
  return { admin: enabled ? { emails, domains, groups, groupsClaim, sessionTtl } : undefined, feedbackTool };
}

/** The console's sign-in client: public, PKCE, returning to PUBLIC_URL + CONSOLE_CALLBACK_PATH only. */
export function consoleClient(publicUrl: string): StaticClient {
  return {
    clientId: CONSOLE_CLIENT_ID,
    clientName: "Gatehouse admin console",
    redirectUris: [`${publicUrl}${CONSOLE_CALLBACK_PATH}`],
    grantTypes: ["authorization_code"],
    tokenEndpointAuthMethod: "none",
    applicationType: "web",
    introspection: false,
  };
}
