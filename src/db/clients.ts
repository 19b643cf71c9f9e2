// D1 `clients`: registered OAuth clients (RFC 7591 dynamic, static, and cached metadata documents).

export type TokenEndpointAuthMethod = "none" | "client_secret_basic" | "client_secret_post";

/** A client as Gatehouse knows it; `clientSecretHash` is base64url(SHA-256(secret)). */
export interface ClientRecord {
  clientId: string;
  kind: "dcr" | "cimd" | "static";
  clientSecretHash?: string;
  clientName: string;
  redirectUris: string[];
  grantTypes: string[];
  tokenEndpointAuthMethod: TokenEndpointAuthMethod;
  applicationType: "web" | "native";
  scope?: string;
  /** The metadata as registered (RFC 7591 §2 names), for display and the registration response. */
  metadata: Record<string, unknown>;
  createdAt: number;
  lastUsedAt?: number;
}

/** Looks a client up by id. */
export async function getClient(_db: D1Database, _clientId: string): Promise<ClientRecord | undefined> {
  throw new Error("not implemented: issue #2");
}
