// The `user.created` webhook event: the JSON body receivers get (docs/webhooks.md), built once and stored as is.
import type { FeedbackEntry } from "../db/feedback";
import type { OutboxEntry } from "../db/outbox";
import { type Identity, identityRecord } from "../identity";

/** The client through which the person signed in for the first time. */
export interface FirstClient {
  clientId: string;
  clientName?: string;
}

/** The outbox entry announcing that the person (a user just created) signed in first through `client`. */
export function userCreatedEvent(identity: Identity, client: FirstClient, createdAt: number, id = crypto.randomUUID()): OutboxEntry {
  const body = {
    id,
    type: "user.created",
    created_at: createdAt,
    data: {
      user_id: identity.userId,
      ...identityRecord(identity),
      provider: identity.provider,
      first_client_id: client.clientId,
      first_client_name: client.clientName ?? null,
    },
  };
  return { id, type: body.type, payload: JSON.stringify(body) };
}

/** The outbox entry forwarding a `submit_feedback` submission (docs/webhooks.md `feedback.submitted`). */
export function feedbackSubmittedEvent(entry: FeedbackEntry): OutboxEntry {
  const body = {
    id: entry.id,
    type: "feedback.submitted",
    created_at: entry.createdAt,
    data: {
      feedback_id: entry.id,
      user_id: entry.userId,
      email: entry.email ?? null,
      domain: entry.domain ?? null,
      org_id: entry.orgId ?? null,
      org_name: entry.orgName ?? null,
      client_id: entry.clientId,
      category: entry.category,
      message: entry.message,
      context: entry.context ?? null,
    },
  };
  return { id: entry.id, type: body.type, payload: JSON.stringify(body) };
}
