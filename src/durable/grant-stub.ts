// Routes a handle's grant id to its Durable Object: no lookup table, the id is the object's own.
import type { Grant } from "./grant";

/** The one binding routing needs: the Grant namespace (wrangler.jsonc `GRANTS`). */
export interface GrantBindings {
  GRANTS: DurableObjectNamespace<Grant>;
}

/** The Grant object for `grantId`, or `undefined` when the id is not one this namespace issued. */
export function grantStub(env: GrantBindings, grantId: string): DurableObjectStub<Grant> | undefined {
  let id: DurableObjectId;
  try {
    id = env.GRANTS.idFromString(grantId);
  } catch {
    return undefined;
  }
  return env.GRANTS.get(id);
}
