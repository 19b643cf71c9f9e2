// The `upstream_userinfo` tool: the caller's profile as the sign-in provider serves it at its userinfo endpoint,
// fetched with the access token from the grant's vault — the example of a tool calling a provider's API for the person.
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { Config } from "../../config";
import { authorizationServer } from "../../upstream/discovery";
import { upstreamHttp } from "../../upstream/transport";
import { fetchUserClaims } from "../../upstream/userinfo";
import type { Env } from "../../env";
import { type UpstreamAccess, UpstreamTokenError } from "../upstream-token";
import { UPSTREAM_USERINFO_TOOL } from "./definitions";

/** Registers `upstream_userinfo` (read-only; optional argument `provider`, default the grant's first linked one). */
export function registerUpstreamUserinfo(server: McpServer, context: UpstreamAccess & { env: Env }, config: Config): void {
  server.registerTool(
    UPSTREAM_USERINFO_TOOL.name,
    UPSTREAM_USERINFO_TOOL.definition,
    async ({ provider: asked }) => {
      const linked = await context.linkedProviders();
      const name = asked ?? linked[0]?.provider;
      const provider = config.upstreams.find((p) => p.name === name);
      if (!name || !provider) return failure("No linked sign-in provider to ask.");
      try {
        const token = await context.upstreamToken(provider.name);
        const as = await authorizationServer(context.env, config, provider);
        if (!as.userinfo_endpoint) return failure(`${provider.label} has no userinfo endpoint.`);
        const claims = await fetchUserClaims({ userinfo: as.userinfo_endpoint, emails: provider.emailsEndpoint }, token.accessToken, upstreamHttp(context.env, config, provider));
        const result = { provider: provider.name, claims };
        return { content: [{ type: "text" as const, text: JSON.stringify(result) }], structuredContent: result };
      } catch (err) {
        if (err instanceof UpstreamTokenError) return failure(err.message);
        return failure(`${provider.label} did not answer the userinfo request.`);
      }
    },
  );
}

function failure(text: string) {
  return { isError: true, content: [{ type: "text" as const, text }] };
}
