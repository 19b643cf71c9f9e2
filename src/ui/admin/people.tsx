// The console's People section: search by email, domain or organisation, and a person's page with their grants,
// usage by server and tool per day, security events and feedback, and the actions revoke, sign out and block.
/** @jsxRuntime automatic */
/** @jsxImportSource hono/jsx */
import type { Config } from "../../config";
import type { StoredEvent } from "../../db/events";
import type { FeedbackEntry } from "../../db/feedback";
import type { GrantListing } from "../../db/grants";
import type { UsageCount } from "../../db/usage";
import type { ConsoleUser, UserFilter, UserRecord } from "../../db/users";
import { ActionButton, query, Shell, when } from "./shell";
import { EventTable } from "./lists";

interface Frame {
  config: Config;
  who: string;
  csrfToken: string;
  notice?: string;
}

export function PeoplePage({ filter, people, next, ...frame }: Frame & { filter: UserFilter; people: UserRecord[]; next?: string }) {
  return (
    <Shell {...frame} title="People" section="people">
      <form method="get" action="/admin/people" class="filters" role="search">
        <label>
          Email
          <input type="text" name="email" value={filter.email ?? ""} autocomplete="off" />
        </label>
        <label>
          Domain
          <input type="text" name="domain" value={filter.domain ?? ""} autocomplete="off" />
        </label>
        <label>
          Organisation (id or name)
          <input type="text" name="org" value={filter.org ?? ""} autocomplete="off" />
        </label>
        <button type="submit">Search</button>
      </form>
      {filter.domain || filter.org ? (
        <p>
          <a href={`/admin/usage.csv${query({ domain: filter.domain, org: filter.org })}`}>Download this {filter.org ? "organisation" : "domain"}'s usage (CSV)</a>
        </p>
      ) : null}
      <table>
        <thead>
          <tr>
            <th scope="col">Email</th>
            <th scope="col">Name</th>
            <th scope="col">Organisation</th>
            <th scope="col">First seen</th>
            <th scope="col">Last seen</th>
            <th scope="col" class="n">
              Requests
            </th>
            <th scope="col">Standing</th>
          </tr>
        </thead>
        <tbody>
          {people.map((p) => (
            <tr>
              <td>
                <a href={`/admin/people/${encodeURIComponent(p.userId)}`}>{p.email ?? p.userId}</a>
              </td>
              <td>{p.name ?? ""}</td>
              <td>{p.orgName ?? p.orgId ?? ""}</td>
              <td>{when(p.firstSeenAt)}</td>
              <td>{when(p.lastSeenAt)}</td>
              <td class="n">{p.requestCount}</td>
              <td>{p.blockedAt ? <span class="status-blocked">blocked</span> : "active"}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {people.length === 0 ? <p class="muted">No one matches.</p> : null}
      {next ? <a href={`/admin/people${query({ ...filter, blocked: filter.blocked ? "1" : undefined, cursor: next })}`}>Next page</a> : null}
    </Shell>
  );
}

export interface PersonData {
  person: ConsoleUser;
  grants: GrantListing[];
  clientNames: Map<string, string>;
  /** The person's last use of each client (Unix seconds). */
  lastUsed: Map<string, number>;
  usage: UsageCount[];
  usageFrom: string;
  events: StoredEvent[];
  feedback: FeedbackEntry[];
}

export function PersonPage({ data, ...frame }: Frame & { data: PersonData }) {
  const { person } = data;
  const base = `/admin/people/${encodeURIComponent(person.userId)}`;
  return (
    <Shell {...frame} title={person.email ?? person.userId} section="people">
      <table>
        <tbody>
          <tr>
            <th scope="row">User id</th>
            <td>
              <code>{person.userId}</code>
            </td>
          </tr>
          <tr>
            <th scope="row">Name</th>
            <td>{person.name ?? "—"}</td>
          </tr>
          <tr>
            <th scope="row">Email</th>
            <td>
              {person.email ?? "—"} {person.emailVerified ? "(verified)" : "(not verified)"}
            </td>
          </tr>
          <tr>
            <th scope="row">Domain · organisation</th>
            <td>
              {person.domain ? <a href={`/admin/people${query({ domain: person.domain })}`}>{person.domain}</a> : "—"} ·{" "}
              {person.orgName || person.orgId ? <a href={`/admin/people${query({ org: person.orgId ?? person.orgName })}`}>{person.orgName ?? person.orgId}</a> : "—"}
            </td>
          </tr>
          <tr>
            <th scope="row">Signs in with</th>
            <td>{person.provider}</td>
          </tr>
          <tr>
            <th scope="row">First · last seen</th>
            <td>
              {when(person.firstSeenAt)} · {when(person.lastSeenAt)} · requests: {person.requestCount}
            </td>
          </tr>
          <tr>
            <th scope="row">Standing</th>
            <td>{person.blockedAt ? <span class="status-blocked">blocked since {when(person.blockedAt)}</span> : "may sign in"}</td>
          </tr>
        </tbody>
      </table>
      <p class="actions">
        <ActionButton action={`${base}/sign-out`} csrfToken={frame.csrfToken} label="Sign out everywhere" />
        {person.blockedAt ? (
          <ActionButton action={`${base}/unblock`} csrfToken={frame.csrfToken} label="Unblock" />
        ) : (
          <ActionButton action={`${base}/block`} csrfToken={frame.csrfToken} label="Block this person" danger />
        )}
      </p>

      <h2>Grants</h2>
      {data.grants.length === 0 ? <p class="muted">No grants.</p> : null}
      {data.grants.length > 0 ? (
        <table>
          <thead>
            <tr>
              <th scope="col">Client</th>
              <th scope="col">Server</th>
              <th scope="col">Scopes</th>
              <th scope="col">Created</th>
              <th scope="col">Client last used</th>
              <th scope="col">Ends</th>
              <th scope="col">Status</th>
              <th scope="col">
                <span class="sr-only">Action</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {data.grants.map((g) => (
              <tr>
                <td>
                  <a href={`/admin/clients${query({ client_id: g.clientId })}`}>{data.clientNames.get(g.clientId) ?? g.clientId}</a>
                </td>
                <td>{g.resource ? new URL(g.resource).pathname : "/mcp"}</td>
                <td>{g.scope}</td>
                <td>{when(g.createdAt)}</td>
                <td>{when(data.lastUsed.get(g.clientId))}</td>
                <td>{when(g.revokedAt ?? g.expiresAt)}</td>
                <td class={`status-${g.status}`}>{g.status}</td>
                <td>{g.status === "active" ? <ActionButton action={`${base}/grants/revoke`} csrfToken={frame.csrfToken} label="Revoke" fields={{ grant_id: g.id }} /> : null}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}

      <h2>Usage since {data.usageFrom}</h2>
      <p>
        <a href={`/admin/usage.csv${query({ user: person.userId })}`}>Download as CSV</a>
      </p>
      {data.usage.length === 0 ? <p class="muted">No use in this period.</p> : null}
      {data.usage.length > 0 ? (
        <table>
          <thead>
            <tr>
              <th scope="col">Day</th>
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
            {data.usage.map((u) => (
              <tr>
                <td>{u.day}</td>
                <td>{u.server}</td>
                <td>{u.tool || <span class="muted">(no tool)</span>}</td>
                <td class="n">{u.requests}</td>
                <td class="n">{u.toolCalls}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}

      <h2>Events</h2>
      <EventTable events={data.events} />
      <p>
        <a href={`/admin/events${query({ user_id: person.userId })}`}>All of this person's events</a>
      </p>

      <h2>Feedback</h2>
      {data.feedback.length === 0 ? <p class="muted">No feedback sent.</p> : null}
      {data.feedback.map((f) => (
        <section class="card">
          <p class="muted">
            {when(f.createdAt)} · {f.category} · through {f.clientId}
          </p>
          <p class="pre">{f.message}</p>
          {f.context ? <p class="muted pre">Context: {f.context}</p> : null}
        </section>
      ))}
    </Shell>
  );
}
