// Browser-based clients read discovery and exchange tokens cross-origin (MCP authorization, CORS).
import { cors } from "hono/cors";

/** Discovery documents and JWKS. */
export const discoveryCors = cors({ origin: "*", allowMethods: ["GET", "OPTIONS"] });

/** The token, registration, revocation and introspection endpoints. */
export const endpointCors = cors({ origin: "*", allowMethods: ["POST", "OPTIONS"], allowHeaders: ["Authorization", "Content-Type"] });
