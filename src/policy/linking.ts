// Linked providers (README "Linking several providers"): which providers a sign-in must still connect after the
// person signed in with the primary one, and which resources a provider's link is needed for. Pure.
import type { McpServer } from "../config/servers";

/** The providers the server at `resource` requires, in its order, without `primary` (the sign-in itself connects it). */
export function requiredLinks(servers: readonly Pick<McpServer, "resource" | "requires">[], resource: string, primary: string): string[] {
  return (servers.find((s) => s.resource === resource)?.requires ?? []).filter((p) => p !== primary);
}

/**
 * How the grant gets each required provider: `reuse` the person's live link (its tokens are copied into the grant,
 * no leg), else `connect` through a leg of its own, in the required order. `held`: providers the grant already holds
 * tokens for (a leg just done); `live`: providers the person has a live link to.
 */
export function planLinks(required: readonly string[], held: readonly string[], live: readonly string[]): { reuse: string[]; connect: string[] } {
  const missing = required.filter((p) => !held.includes(p));
  return { reuse: missing.filter((p) => live.includes(p)), connect: missing.filter((p) => !live.includes(p)) };
}

/** The resources whose servers require `provider`: disconnecting it revokes the person's grants for them. */
export function resourcesRequiring(servers: readonly Pick<McpServer, "resource" | "requires">[], provider: string): string[] {
  return servers.filter((s) => s.requires.includes(provider)).map((s) => s.resource);
}
