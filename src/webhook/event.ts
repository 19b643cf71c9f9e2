// The `user.created` webhook event: the JSON body receivers get (docs/webhooks.md), built once and stored as is.
import type { OutboxEntry } from "../db/outbox";
import type { UserProfile } from "../db/users";

/** The client through which the person signed in for the first time. */
export interface FirstClient {
  clientId: string;
  clientName?: string;
}

/** The outbox entry announcing that `userId` (just created from `profile`) signed in first through `client`. */
export function userCreatedEvent(userId: string, profile: UserProfile, client: FirstClient, createdAt: number, id = crypto.randomUUID()): OutboxEntry {
  const body = {
    id,
    type: "user.created",
    created_at: createdAt,
    data: {
      user_id: userId,
      email: profile.email ?? null,
      email_verified: profile.emailVerified,
      domain: profile.domain ?? null,
      org_id: profile.orgId ?? null,
      org_name: profile.orgName ?? null,
      name: profile.name ?? null,
      provider: profile.provider,
      first_client_id: client.clientId,
      first_client_name: client.clientName ?? null,
    },
  };
  return { id, type: body.type, payload: JSON.stringify(body) };
}
