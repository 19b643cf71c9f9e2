// Routes a handle's grant id to its Durable Object: no lookup table, the id is the object's own.
import type { Grant } from "./grant";
import type { Env } from "../env";

/** The Grant object for `grantId`, or `undefined` when the id is not one this namespace issued. */
export function grantStub(env: Env, grantId: string): DurableObjectStub<Grant> | undefined {
  let id: DurableObjectId;
  try {
    id = env.GRANTS.idFromString(grantId);
  } catch {
    return undefined;
  }
  return env.GRANTS.get(id);
}
