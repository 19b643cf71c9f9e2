// What an administrator can do, from the console or the admin API: each action changes D1 and the grants, and is
// recorded as an event naming who did it (`by`: "console" with the acting person's user id, or "admin" for the token).
import type { Context } from "hono";
import { blockClient, deleteClient, unblockClient } from "../db/clients";
import { forgetClientConsents } from "../db/consents";
import { getGrantIndex } from "../db/grants";
import { blockUser, revokeSessions, unblockUser } from "../db/users";
import type { AppEnv } from "../http/app-env";
import { audit } from "../http/audit";
import { revokeGrant, revokeLiveGrants } from "../http/revoke-grants";

/** Who acts: the bearer token (scripts), or a person signed in to the console. */
export type Actor = { by: "admin" } | { by: "console"; userId: string };

function actorDetail(actor: Actor): Record<string, string> {
  return actor.by === "console" ? { by: "console", actor: actor.userId } : { by: "admin" };
}

function actorWords(actor: Actor): string {
  return actor.by === "console" ? `an administrator (${actor.userId})` : "an administrator";
}

/** Rounds of BULK_LIMIT revocations one request makes at most. */
const MAX_ROUNDS = 4;

/** Revokes every live grant of `owner`, BULK_LIMIT at a time; how many were live and whether some remain. */
async function revokeAll(c: Context<AppEnv>, owner: { userId: string } | { clientId: string }, reason: string): Promise<{ revoked: number; more: boolean }> {
  let revoked = 0;
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const result = await revokeLiveGrants(c, owner, reason);
    revoked += result.revoked;
    if (!result.more) return { revoked, more: false };
  }
  return { revoked, more: true };
}

/** Revokes one grant of `userId`; `undefined` when the grant is not theirs (or unknown), else whether it was live. */
export async function revokePersonGrant(c: Context<AppEnv>, actor: Actor, userId: string, grantId: string): Promise<boolean | undefined> {
  const grant = await getGrantIndex(c.env.DB, grantId);
  if (!grant || grant.userId !== userId) return undefined;
  return revokeGrant(c, grant, `revoked by ${actorWords(actor)}`);
}

/** Ends every session of the person and revokes all their grants. */
export async function signOutPerson(c: Context<AppEnv>, actor: Actor, userId: string): Promise<{ revoked: number; more: boolean }> {
  await revokeSessions(c.env.DB, userId, Date.now());
  const result = await revokeAll(c, { userId }, `signed out everywhere by ${actorWords(actor)}`);
  audit(c, { type: "user.signed_out", userId, detail: { ...actorDetail(actor), grants: result.revoked } });
  return result;
}

/** Blocks the person: sign-in refused from now on, sessions ended, grants revoked; `blocked` false when already blocked. */
export async function blockPerson(c: Context<AppEnv>, actor: Actor, userId: string): Promise<{ blocked: boolean; revoked: number; more: boolean }> {
  const blocked = await blockUser(c.env.DB, userId, Math.floor(Date.now() / 1000));
  await revokeSessions(c.env.DB, userId, Date.now());
  const result = await revokeAll(c, { userId }, `person blocked by ${actorWords(actor)}`);
  if (blocked) audit(c, { type: "user.blocked", userId, detail: { ...actorDetail(actor), grants: result.revoked } });
  return { blocked, ...result };
}

/** Lifts the person's block; `false` when they were not blocked. */
export async function unblockPerson(c: Context<AppEnv>, actor: Actor, userId: string): Promise<boolean> {
  const unblocked = await unblockUser(c.env.DB, userId);
  if (unblocked) audit(c, { type: "user.unblocked", userId, detail: actorDetail(actor) });
  return unblocked;
}

/**
 * Blocks a client_id, stored or not (a metadata document URL before any fetch), forgets its consents and revokes
 * its live grants. Blocking again finishes a revocation that left `more`.
 */
export async function blockClientNow(c: Context<AppEnv>, actor: Actor, clientId: string): Promise<{ revoked: number; more: boolean }> {
  if (await blockClient(c.env.DB, clientId, Math.floor(Date.now() / 1000))) audit(c, { type: "client.blocked", clientId, detail: actorDetail(actor) });
  await forgetClientConsents(c.env.DB, clientId);
  return revokeAll(c, { clientId }, `client blocked by ${actorWords(actor)}`);
}

/** Lifts a client's block; `false` when there was none. */
export async function unblockClientNow(c: Context<AppEnv>, actor: Actor, clientId: string): Promise<boolean> {
  const unblocked = await unblockClient(c.env.DB, clientId);
  if (unblocked) audit(c, { type: "client.unblocked", clientId, detail: actorDetail(actor) });
  return unblocked;
}

/** Deletes a stored client, then revokes its live grants; `deleted` false when none was stored. */
export async function deleteClientNow(c: Context<AppEnv>, actor: Actor, clientId: string): Promise<{ deleted: boolean; revoked: number; more: boolean }> {
  const deleted = await deleteClient(c.env.DB, clientId);
  if (deleted) audit(c, { type: "client.deleted", clientId, detail: actorDetail(actor) });
  return { deleted, ...(await revokeAll(c, { clientId }, `client deleted by ${actorWords(actor)}`)) };
}
