// The admin console's frame: the shared page shell, the console's navigation, the signed-in administrator and their
// sign-out, and the styles of tables and charts. Plain HTML forms and links: every page works without JavaScript.
/** @jsxRuntime automatic */
/** @jsxImportSource hono/jsx */
import type { Child } from "hono/jsx";
import type { Config } from "../../config";
import { Layout } from "../layout";

/** Styles of the console: wide cards, tables, visible keyboard focus; colours keep 4.5:1 contrast on both themes. */
const CONSOLE_STYLE = `
main.console{max-width:76rem;margin:1.5rem auto;padding:1.5rem 2rem}
nav.console{display:flex;flex-wrap:wrap;gap:.2rem 1.2rem;align-items:center;border-bottom:1px solid var(--border);padding-bottom:.6rem;margin-bottom:1rem}
nav.console a{color:var(--accent);text-decoration:none;padding:.2rem 0}nav.console a[aria-current=page]{color:var(--fg);font-weight:600;border-bottom:2px solid var(--accent)}
nav.console .who{margin-left:auto;color:var(--muted);font-size:.9rem}nav.console form{display:inline}
a:focus-visible,button:focus-visible,input:focus-visible,select:focus-visible{outline:3px solid var(--accent);outline-offset:2px}
a{color:var(--accent)}table{border-collapse:collapse;width:100%;font-size:.92rem;margin:.4rem 0 1rem}
th,td{text-align:left;padding:.35rem .5rem;border-bottom:1px solid var(--border);vertical-align:top}th{color:var(--muted);font-weight:600}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(15rem,1fr));gap:1rem;margin-bottom:1rem}
.cards.charts{grid-template-columns:repeat(auto-fit,minmax(26rem,1fr))}.card{border:1px solid var(--border);border-radius:10px;padding:.8rem 1rem}.card h2{margin:.1rem 0 .4rem;font-size:1rem}
.big{font-size:1.6rem;font-weight:600}.big a{text-decoration:none}svg.chart{width:100%;height:auto;display:block}
svg.chart .axis{stroke:var(--border)}svg.chart text{fill:var(--muted);font-size:12px}svg.chart .line{fill:none;stroke:var(--accent);stroke-width:2}
svg.chart .area{fill:var(--accent);opacity:.12}form.inline{display:inline}form.filters{display:flex;flex-wrap:wrap;gap:.6rem;align-items:end;margin:.5rem 0 1rem}
form.filters label{margin:0;font-size:.85rem;color:var(--muted)}form.filters input,form.filters select{display:block;width:14rem;font:inherit;padding:.4rem;border-radius:8px;border:1px solid var(--border);background:var(--bg);color:var(--fg)}
button.danger{border-color:#b3261e;color:#b3261e}@media (prefers-color-scheme:dark){button.danger{border-color:#f2b8b5;color:#f2b8b5}}
.status-blocked,.status-revoked,.status-dead{color:var(--warn);font-weight:600}.pre{white-space:pre-wrap;word-break:break-word}
.sr-only{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
`;

export type Section = "overview" | "people" | "clients" | "events" | "webhooks" | "feedback";

const SECTIONS: [Section, string, string][] = [
  ["overview", "Overview", "/admin"],
  ["people", "People", "/admin/people"],
  ["clients", "Clients", "/admin/clients"],
  ["events", "Events", "/admin/events"],
  ["webhooks", "Webhooks", "/admin/webhooks"],
  ["feedback", "Feedback", "/admin/feedback"],
];

export interface ShellProps {
  config: Config;
  title: string;
  section: Section;
  /** The administrator, as they would recognise themselves. */
  who: string;
  csrfToken: string;
  notice?: string;
  children: Child;
}

/** A console page: navigation, the notice of the last action, the content. */
export function Shell({ config, title, section, who, csrfToken, notice, children }: ShellProps) {
  return (
    <Layout config={config} title={`${title} · Admin`}>
      <style>{CONSOLE_STYLE}</style>
      <main class="console">
        <nav class="console" aria-label="Console">
          <strong>{config.branding.serviceName} admin</strong>
          {SECTIONS.map(([key, label, href]) => (
            <a href={href} aria-current={key === section ? "page" : undefined}>
              {label}
            </a>
          ))}
          <span class="who">
            {who}{" "}
            <form method="post" action="/admin/sign-out" class="inline">
              <input type="hidden" name="csrf" value={csrfToken} />
              <button type="submit">Sign out</button>
            </form>
          </span>
        </nav>
        <h1>{title}</h1>
        {notice ? (
          <p class="verified" role="status">
            {notice}
          </p>
        ) : null}
        {children}
      </main>
    </Layout>
  );
}

/** A POST button with the CSRF token and hidden fields; `confirm` words go in the button for people and tests alike. */
export function ActionButton({ action, csrfToken, label, fields = {}, danger = false }: { action: string; csrfToken: string; label: string; fields?: Record<string, string>; danger?: boolean }) {
  return (
    <form method="post" action={action} class="inline">
      <input type="hidden" name="csrf" value={csrfToken} />
      {Object.entries(fields).map(([name, value]) => (
        <input type="hidden" name={name} value={value} />
      ))}
      <button type="submit" class={danger ? "danger" : undefined}>
        {label}
      </button>
    </form>
  );
}

/** A Unix time as UTC date and minute; "never" when absent. */
export function when(seconds: number | undefined): string {
  return seconds === undefined ? "never" : new Date(seconds * 1000).toISOString().slice(0, 16).replace("T", " ");
}

/** A query string from the defined values. */
export function query(params: Record<string, string | number | undefined>): string {
  const search = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== "") search.set(k, String(v));
  const text = search.toString();
  return text ? `?${text}` : "";
}
