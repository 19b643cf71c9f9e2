// The `whoami` tool: the identity Gatehouse verified for this connection and the providers linked to its grant, for
// attribution and debugging.
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import * as z from "zod";
import { callerOf } from "../auth-info";
import type { UpstreamAccess } from "../upstream-token";

/** The tool's structured result; every field is null for an anonymous caller (REQUIRE_AUTH=false). */
const identityShape = {
  authenticated: z.boolean(),
  subject: z.string().nullable(),
  email: z.string().nullable(),
  email_verified: z.boolean().nullable(),
  domain: z.string().nullable(),
  organization: z.object({ id: z.string().nullable(), name: z.string().nullable() }).nullable(),
  client_id: z.string().nullable(),
  scopes: z.array(z.string()),
  /** The providers whose tokens the grant holds, with the scopes they granted: never a token. */
  linked_providers: z.array(z.object({ provider: z.string(), scopes: z.array(z.string()) })),
};

/** Registers `whoami` (no arguments, read-only). */
export function registerWhoami(server: McpServer, context: Pick<UpstreamAccess, "linkedProviders">): void {
  server.registerTool(
    "whoami",
    {
      title: "Who am I",
      description: "Returns the signed-in user's identity as verified by the server: subject, email, domain, organisation, client id, scopes, and the linked sign-in providers.",
      outputSchema: identityShape,
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    async (extra) => {
      const caller = callerOf(extra.authInfo);
      const linked = caller ? await context.linkedProviders() : [];
      const identity = {
        authenticated: caller !== undefined,
        subject: caller?.subject ?? null,
        email: caller?.email ?? null,
        email_verified: caller?.emailVerified ?? null,
        domain: caller?.domain ?? null,
        organization: caller?.orgId || caller?.orgName ? { id: caller.orgId ?? null, name: caller.orgName ?? null } : null,
        client_id: caller?.clientId ?? null,
        scopes: caller?.scopes ?? [],
        linked_providers: linked.map((p) => ({ provider: p.provider, scopes: (p.scope ?? "").split(" ").filter(Boolean) })),
      };
      return { content: [{ type: "text", text: JSON.stringify(identity) }], structuredContent: identity };
    },
  );
}
