// The package's public face: what a Worker imports to run Gatehouse in front of its own MCP tools or handler.
export { createGatehouse } from "./gatehouse";
export type { BuiltInServerOptions, Gatehouse, GatehouseOptions, OwnHandlerOptions } from "./gatehouse";
export type { McpContext, McpHandler, RegisterTools } from "./mcp/server";
export { type UpstreamAccess, UpstreamTokenError, type UpstreamTokenProblem } from "./mcp/upstream-token";
export type { LinkedProvider, UpstreamAccessToken } from "./durable/vault-state";
export type { ConfigVars, Env as GatehouseEnv } from "./env";
export type { McpServerEntry } from "./config/servers";
export { IdentityError, type VerifiedIdentity, type VerifyIdentityOptions, verifyIdentity } from "./lib/verify-identity";
export type { Caller } from "./identity";
export { Grant } from "./durable/grant";
export { KeyRing } from "./durable/key-ring";
export { AssertionLedger } from "./durable/assertion-ledger";
