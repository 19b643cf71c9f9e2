// The `user.created` webhook event: the JSON body receivers get (docs/webhooks.md), built once and stored as is.
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
