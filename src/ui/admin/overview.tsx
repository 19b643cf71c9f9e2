// The console's overview: daily active people, sign-ins, MCP requests and tool calls over 30 or 90 days, the top
// domains, organisations and tools, the sign-in error rate and the security events; every number links to its list.
/** @jsxRuntime automatic */
/** @jsxImportSource hono/jsx */
import type { Config } from "../../config";
import { DailyChart } from "./chart";
import { query, Shell } from "./shell";

export interface OverviewData {
  days: number;
  /** Unix seconds of the period's start (for the event links). */
  since: number;
  fromDay: string;
  series: { day: string; people: number; requests: number; toolCalls: number; signIns: number }[];
  people: { total: number; active: number; blocked: number };
  failedSignIns: number;
  topDomains: { key: string; people: number }[];
  topOrgs: { key: string; people: number }[];
  topTools: { tool: string; calls: number }[];
  security: { type: string; count: number }[];
}

export interface OverviewProps {
  config: Config;
  who: string;
  csrfToken: string;
  data: OverviewData;
}

function sum(values: number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

/** Sign-ins that failed among all attempts, as a percentage with one decimal; "–" without attempts. */
export function errorRate(failed: number, succeeded: number): string {
  const attempts = failed + succeeded;
  return attempts === 0 ? "–" : `${((failed / attempts) * 100).toFixed(1)}%`;
}

export function Overview({ config, who, csrfToken, data }: OverviewProps) {
  const { series } = data;
  const signIns = sum(series.map((d) => d.signIns));
  const requests = sum(series.map((d) => d.requests));
  const toolCalls = sum(series.map((d) => d.toolCalls));
  const events = (type: string) => `/admin/events${query({ type, since: data.since })}`;
  const usage = (extra: Record<string, string>) => `/admin/usage${query({ from: data.fromDay, ...extra })}`;
  return (
    <Shell config={config} title="Overview" section="overview" who={who} csrfToken={csrfToken}>
      <p>
        Last {data.days} days (since {data.fromDay}) ·{" "}
        <a href="/admin?days=30" aria-current={data.days === 30 ? "true" : undefined}>
          30 days
        </a>{" "}
        ·{" "}
        <a href="/admin?days=90" aria-current={data.days === 90 ? "true" : undefined}>
          90 days
        </a>
      </p>
      <div class="cards charts">
        <section class="card">
          <h2>Active people</h2>
          <p class="big">
            <a href="/admin/people">{data.people.active}</a>
          </p>
          <p class="muted">
            of {data.people.total} people ·{" "}
            <a href="/admin/people?blocked=1">{data.people.blocked} blocked</a>
          </p>
          <DailyChart label="Active people" points={series.map((d) => ({ day: d.day, value: d.people }))} />
        </section>
        <section class="card">
          <h2>Sign-ins</h2>
          <p class="big">
            <a href={events("code.issued")}>{signIns}</a>
          </p>
          <p class="muted">
            error rate {errorRate(data.failedSignIns, signIns)} · <a href={events("login.failed")}>{data.failedSignIns} failed</a>
          </p>
          <DailyChart label="Sign-ins" points={series.map((d) => ({ day: d.day, value: d.signIns }))} />
        </section>
        <section class="card">
          <h2>MCP requests</h2>
          <p class="big">
            <a href={usage({})}>{requests}</a>
          </p>
          <p class="muted">every request to /mcp and the gateway's servers</p>
          <DailyChart label="MCP requests" points={series.map((d) => ({ day: d.day, value: d.requests }))} />
        </section>
        <section class="card">
          <h2>Tool calls</h2>
          <p class="big">
            <a href={usage({})}>{toolCalls}</a>
          </p>
          <p class="muted">tools/call messages among them</p>
          <DailyChart label="Tool calls" points={series.map((d) => ({ day: d.day, value: d.toolCalls }))} />
        </section>
      </div>
      <div class="cards">
        <section class="card">
          <h2>Top email domains</h2>
          <Ranking rows={data.topDomains.map((r) => ({ label: r.key, href: `/admin/people${query({ domain: r.key })}`, value: r.people }))} unit="people" />
        </section>
        <section class="card">
          <h2>Top organisations</h2>
          <Ranking rows={data.topOrgs.map((r) => ({ label: r.key, href: `/admin/people${query({ org: r.key })}`, value: r.people }))} unit="people" />
        </section>
        <section class="card">
          <h2>Top tools</h2>
          <Ranking rows={data.topTools.map((r) => ({ label: r.tool, href: usage({ tool: r.tool }), value: r.calls }))} unit="calls" />
        </section>
        <section class="card">
          <h2>Security events</h2>
          <Ranking rows={data.security.map((r) => ({ label: r.type, href: events(r.type), value: r.count }))} unit="events" />
        </section>
      </div>
    </Shell>
  );
}

function Ranking({ rows, unit }: { rows: { label: string; href: string; value: number }[]; unit: string }) {
  if (rows.length === 0) return <p class="muted">Nothing in this period.</p>;
  return (
    <table>
      <thead>
        <tr>
          <th scope="col">Name</th>
          <th scope="col" class="n">
            {unit}
          </th>
        </tr>
      </thead>
      <tbody>
        {rows.map((r) => (
          <tr>
            <td>{r.label}</td>
            <td class="n">
              <a href={r.href}>{r.value}</a>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
