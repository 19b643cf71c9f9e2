// Carries the verified caller from the bearer middleware through the MCP SDK's `authInfo` to tool handlers.
import type { AuthInfo } from "@modelcontextprotocol/sdk/server/auth/types.js";
import type { Config } from "../config";
import type { Caller } from "../identity";

/** The SDK's view of a verified token; the caller rides in `extra`. */
export function toAuthInfo(config: Config, token: string, caller: Caller): AuthInfo {
  return { token, clientId: caller.clientId, scopes: caller.scopes, resource: new URL(config.mcpResource), extra: { caller } };
}

/** The caller a tool runs for; `undefined` for an anonymous request (REQUIRE_AUTH=false). */
export function callerOf(authInfo: AuthInfo | undefined): Caller | undefined {
  // Only `toAuthInfo` builds the AuthInfo handed to the transport, so `extra.caller` is a Caller when present.
  return authInfo?.extra?.caller as Caller | undefined;
}
