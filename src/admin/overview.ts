// The admin console's overview figures: closed days from their stored figures (src/db/rollups.ts), the open days and
// the period's counts from the indexes of migrations/0012_console.sql.
import { countEvents, dailyEvents } from "../db/events";
import { closeMissingDays, periodDays, storedDays, storedToolCalls } from "../db/rollups";
import { dailyUsage, toolCalls } from "../db/usage";
import { activePeopleBy, countPeople } from "../db/users";
import type { OverviewData } from "../ui/admin/overview";

function utcDay(seconds: number): string {
  return new Date(seconds * 1000).toISOString().slice(0, 10);
}

/** Events counted in the overview's security card. */
export const SECURITY_EVENTS = ["refresh_token.reused", "code.replayed", "refresh_token.refused", "login.failed", "client.metadata_rejected", "client.blocked", "user.blocked", "admin.refused"] as const;

/** Days of figures closed per overview request at most (the cron sweep closes them ahead, SWEEP_CLOSE_DAYS a run). */
const CLOSE_PER_REQUEST = 90;

/**
 * Everything the overview shows. Closed days come from their stored figures (src/db/rollups.ts), computed here once
 * for days not stored yet; only the open days (today, and yesterday for its first hour) are read from usage_daily and
 * events, so the cost stays that of a day or two of rows whatever the period. Each query is an index range.
 */
export async function overview(db: D1Database, days: number, now: number): Promise<OverviewData> {
  const today = Math.floor(now / 86_400) * 86_400;
  const since = today - (days - 1) * 86_400;
  const fromDay = utcDay(since);
  const period = periodDays(days, now);
  await closeMissingDays(db, days, now, CLOSE_PER_REQUEST);
  const stored = await storedDays(db, fromDay);
  const openFrom = period.find((day) => !stored.has(day)) ?? utcDay(today + 86_400);
  const openSince = Date.parse(`${openFrom}T00:00:00Z`) / 1000;
  const [usage, signIns, people, failed, topDomains, topOrgs, storedTools, openTools, security] = await Promise.all([
    dailyUsage(db, openFrom),
    dailyEvents(db, "code.issued", openSince),
    countPeople(db, since),
    countEvents(db, ["login.failed"], since),
    activePeopleBy(db, "domain", since, 10),
    activePeopleBy(db, "org_name", since, 10),
    storedToolCalls(db, fromDay),
    toolCalls(db, openFrom),
    countEvents(db, SECURITY_EVENTS, since),
  ]);
  const live = new Map(usage.map((u) => [u.day, u]));
  const series = period.map((day) => {
    const closed = stored.get(day);
    if (closed) return closed;
    const u = live.get(day);
    return { day, people: u?.people ?? 0, requests: u?.requests ?? 0, toolCalls: u?.toolCalls ?? 0, signIns: signIns.get(day) ?? 0 };
  });
  const tools = new Map(storedTools);
  for (const [tool, calls] of openTools) tools.set(tool, (tools.get(tool) ?? 0) + calls);
  return {
    days,
    since,
    fromDay,
    series,
    people,
    failedSignIns: failed.get("login.failed") ?? 0,
    topDomains,
    topOrgs,
    topTools: [...tools].map(([tool, calls]) => ({ tool, calls })).sort((a, b) => b.calls - a.calls || a.tool.localeCompare(b.tool)).slice(0, 10),
    security: SECURITY_EVENTS.map((type) => ({ type, count: security.get(type) ?? 0 })).filter((s) => s.count > 0),
  };
}
