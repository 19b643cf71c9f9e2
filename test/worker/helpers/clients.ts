// A client row as the sweep and the registration caps see it, for tests that seed D1 directly.
import type { ClientRecord } from "../../../src/db/clients";

/** A public client registered at `createdAt` (epoch seconds) and, when given, last used at `lastUsedAt`. */
export function storedClient(clientId: string, createdAt: number, lastUsedAt?: number, kind: "dcr" | "cimd" = "dcr"): ClientRecord {
  return {
    clientId,
    kind,
    clientName: clientId,
    redirectUris: ["http://127.0.0.1/cb"],
    grantTypes: ["authorization_code"],
    tokenEndpointAuthMethod: "none" as const,
    applicationType: "web" as const,
    metadata: {},
    createdAt,
    lastUsedAt,
  };
}
