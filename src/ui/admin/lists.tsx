// The console's lists: clients (with first and last use, people, block and delete), events (filtered), webhook
// deliveries (pending and dead, with retry), feedback, and usage per day × person × server × tool with its CSV.
/** @jsxRuntime automatic */
/** @jsxImportSource hono/jsx */
import type { Config } from "../../config";
import type { ClientRecord } from "../../db/clients";
import type { EventFilter, StoredEvent } from "../../db/events";
import type { FeedbackEntry } from "../../db/feedback";
import type { OutboxRecord } from "../../db/outbox";
import type { UsageFilter, UsageRecord } from "../../db/usage";
import { ActionButton, query, Shell, when } from "./shell";

interface Frame {
  config: Config;
  who: string;
  csrfToken: string;
  notice?: string;
}

/** Events as a table; the person and client link to their pages. */
export function EventTable({ events }: { events: StoredEvent[] }) {
  if (events.length === 0) return <p class="muted">No events.</p>;
  return (
    <table>
      <thead>
        <tr>
          <th scope="col">When (UTC)</th>
          <th scope="col">Type</th>
          <th scope="col">Person</th>
          <th scope="col">Client</th>
          <th scope="col">Detail</th>
        </tr>
      </thead>
      <tbody>
        {events.map((e) => (
          <tr>
            <td>{when(e.at)}</td>
            <td>
              <a href={`/admin/events${query({ type: e.type })}`}>{e.type}</a>
            </td>
            <td>{e.userId ? <a href={`/admin/people/${encodeURIComponent(e.userId)}`}>{e.userId}</a> : ""}</td>
            <td>{e.clientId ? <a href={`/admin/clients${query({ client_id: e.clientId })}`}>{e.clientId}</a> : ""}</td>
            <td class="pre">{e.detail ? JSON.stringify(e.detail) : ""}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export interface ClientRow {
  client: ClientRecord;
  firstUsedAt?: number;
  /** Its last use at /token (D1 clients), else its latest grant. */
  lastUsedAt?: number;
  people: number;
  blocked: boolean;
}

export function ClientsPage({ rows, blockedIds, next, ...frame }: Frame & { rows: ClientRow[]; blockedIds: string[]; next?: string }) {
  return (
    <Shell {...frame} title="Clients" section="clients">
      <table>
        <thead>
          <tr>
            <th scope="col">Client</th>
            <th scope="col">Kind</th>
            <th scope="col">Registered</th>
            <th scope="col">First use</th>
            <th scope="col">Last use</th>
            <th scope="col" class="n">
              People
            </th>
            <th scope="col">Actions</th>
          </tr>
        </thead>
        <tbody>
          {rows.map(({ client, firstUsedAt, lastUsedAt, people, blocked }) => (
            <tr>
              <td>
                <strong>{client.clientName}</strong>
                <br />
                <code>{client.clientId}</code> <a href={`/admin/events${query({ client_id: client.clientId })}`}>events</a>
              </td>
              <td>{client.kind}</td>
              <td>{client.kind === "static" ? "declared (STATIC_CLIENTS)" : when(client.createdAt)}</td>
              <td>{when(firstUsedAt)}</td>
              <td>{when(lastUsedAt)}</td>
              <td class="n">{people}</td>
              <td>
                {blocked ? (
                  <ActionButton action="/admin/clients/unblock" csrfToken={frame.csrfToken} label="Unblock" fields={{ client_id: client.clientId }} />
                ) : (
                  <ActionButton action="/admin/clients/block" csrfToken={frame.csrfToken} label="Block" fields={{ client_id: client.clientId }} danger />
                )}{" "}
                {client.kind === "static" ? null : <ActionButton action="/admin/clients/delete" csrfToken={frame.csrfToken} label="Delete" fields={{ client_id: client.clientId }} danger />}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {next ? <a href={`/admin/clients${query({ cursor: next })}`}>Next page</a> : null}
      <h2>Block a client id</h2>
      <p class="muted">Any client id, stored or not: a metadata document URL blocked here is refused before Gatehouse ever fetches it.</p>
      <form method="post" action="/admin/clients/block" class="filters">
        <input type="hidden" name="csrf" value={frame.csrfToken} />
        <label>
          Client id
          <input type="text" name="client_id" required maxlength={2000} />
        </label>
        <button type="submit" class="danger">
          Block
        </button>
      </form>
      <h2>Blocked client ids</h2>
      {blockedIds.length === 0 ? <p class="muted">None.</p> : null}
      <ul>
        {blockedIds.map((id) => (
          <li>
            <code>{id}</code> <ActionButton action="/admin/clients/unblock" csrfToken={frame.csrfToken} label="Unblock" fields={{ client_id: id }} />
          </li>
        ))}
      </ul>
    </Shell>
  );
}

export function EventsPage({ filter, events, next, types, ...frame }: Frame & { filter: EventFilter; events: StoredEvent[]; next?: string; types: readonly string[] }) {
  const since = filter.since === undefined ? "" : new Date(filter.since * 1000).toISOString().slice(0, 10);
  const until = filter.until === undefined ? "" : new Date(filter.until * 1000).toISOString().slice(0, 10);
  return (
    <Shell {...frame} title="Events" section="events">
      <form method="get" action="/admin/events" class="filters" role="search">
        <label>
          Type
          <select name="type">
            <option value="">any</option>
            {types.map((t) => (
              <option value={t} selected={t === filter.type}>
                {t}
              </option>
            ))}
          </select>
        </label>
        <label>
          Person (user id)
          <input type="text" name="user_id" value={filter.userId ?? ""} />
        </label>
        <label>
          Client id
          <input type="text" name="client_id" value={filter.clientId ?? ""} />
        </label>
        <label>
          Since (date)
          <input type="text" name="since" value={since} placeholder="YYYY-MM-DD" />
        </label>
        <label>
          Until (date)
          <input type="text" name="until" value={until} placeholder="YYYY-MM-DD" />
        </label>
        <button type="submit">Filter</button>
      </form>
      <EventTable events={events} />
      {next ? <a href={`/admin/events${query({ type: filter.type, user_id: filter.userId, client_id: filter.clientId, since: filter.since, until: filter.until, cursor: next })}`}>Older events</a> : null}
    </Shell>
  );
}

export function WebhooksPage({ configured, pending, dead, ...frame }: Frame & { configured: boolean; pending: OutboxRecord[]; dead: OutboxRecord[] }) {
  const table = (rows: OutboxRecord[], retry: boolean) => (
    <table>
      <thead>
        <tr>
          <th scope="col">Created</th>
          <th scope="col">Type</th>
          <th scope="col" class="n">
            Attempts
          </th>
          <th scope="col">Next attempt</th>
          <th scope="col">Last error</th>
          {retry ? (
            <th scope="col">
              <span class="sr-only">Action</span>
            </th>
          ) : null}
        </tr>
      </thead>
      <tbody>
        {rows.map((w) => (
          <tr>
            <td>{when(w.createdAt)}</td>
            <td>{w.type}</td>
            <td class="n">{w.attempts}</td>
            <td>{w.status === "pending" ? when(w.nextAttemptAt) : "—"}</td>
            <td>{w.lastError ?? ""}</td>
            {retry ? (
              <td>
                <ActionButton action={`/admin/webhooks/${encodeURIComponent(w.id)}/retry`} csrfToken={frame.csrfToken} label="Retry" />
              </td>
            ) : null}
          </tr>
        ))}
      </tbody>
    </table>
  );
  return (
    <Shell {...frame} title="Webhooks" section="webhooks">
      {configured ? null : <p class="warn">No CAPTURE_WEBHOOK_URL is set: nothing is delivered.</p>}
      <h2>Pending ({pending.length})</h2>
      {pending.length === 0 ? <p class="muted">None waiting.</p> : table(pending, false)}
      <h2>Dead ({dead.length})</h2>
      {dead.length === 0 ? <p class="muted">None.</p> : table(dead, true)}
    </Shell>
  );
}

export function FeedbackPage({ feedback, next, ...frame }: Frame & { feedback: FeedbackEntry[]; next?: string }) {
  return (
    <Shell {...frame} title="Feedback" section="feedback">
      {frame.config.feedbackTool ? null : <p class="warn">FEEDBACK_TOOL is false: assistants cannot send feedback now.</p>}
      {feedback.length === 0 ? <p class="muted">No feedback yet.</p> : null}
      <table>
        <thead>
          <tr>
            <th scope="col">When (UTC)</th>
            <th scope="col">From</th>
            <th scope="col">Category</th>
            <th scope="col">Feedback</th>
          </tr>
        </thead>
        <tbody>
          {feedback.map((f) => (
            <tr>
              <td>{when(f.createdAt)}</td>
              <td>
                <a href={`/admin/people/${encodeURIComponent(f.userId)}`}>{f.email ?? f.userId}</a>
                <br />
                <span class="muted">{f.orgName ?? f.domain ?? ""}</span>
              </td>
              <td>{f.category}</td>
              <td class="pre">
                {f.message}
                {f.context ? <span class="muted">{`\nContext: ${f.context}`}</span> : null}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {next ? <a href={`/admin/feedback${query({ cursor: next })}`}>Older feedback</a> : null}
    </Shell>
  );
}

export function UsagePage({ filter, rows, next, ...frame }: Frame & { filter: UsageFilter; rows: UsageRecord[]; next?: string }) {
  const fields: [keyof UsageFilter, string][] = [
    ["from", "From (YYYY-MM-DD)"],
    ["to", "To (YYYY-MM-DD)"],
    ["user", "Person (user id)"],
    ["server", "Server path"],
    ["tool", "Tool"],
    ["domain", "Domain"],
    ["org", "Organisation"],
  ];
  return (
    <Shell {...frame} title="Usage" section="overview">
      <form method="get" action="/admin/usage" class="filters" role="search">
        {fields.map(([name, label]) => (
          <label>
            {label}
            <input type="text" name={name} value={filter[name] ?? ""} />
          </label>
        ))}
        <button type="submit">Filter</button>
      </form>
      <p>
        <a href={`/admin/usage.csv${query({ ...filter })}`}>Download as CSV</a>
      </p>
      <table>
        <thead>
          <tr>
            <th scope="col">Day</th>
            <th scope="col">Person</th>
            <th scope="col">Organisation</th>
            <th scope="col">Server</th>
            <th scope="col">Tool</th>
            <th scope="col" class="n">
              Requests
            </th>
            <th scope="col" class="n">
              Tool calls
            </th>
          </tr>
        </thead>
        <tbody>
          {rows.map((u) => (
            <tr>
              <td>{u.day}</td>
              <td>
                <a href={`/admin/people/${encodeURIComponent(u.userId)}`}>{u.email ?? u.userId}</a>
              </td>
              <td>{u.orgName ?? u.domain ?? ""}</td>
              <td>{u.server}</td>
              <td>{u.tool || <span class="muted">(no tool)</span>}</td>
              <td class="n">{u.requests}</td>
              <td class="n">{u.toolCalls}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {rows.length === 0 ? <p class="muted">No usage matches.</p> : null}
      {next ? <a href={`/admin/usage${query({ ...filter, cursor: next })}`}>Next page</a> : null}
    </Shell>
  );
}
