// Gatehouse in front of two tools of this Worker's own: each runs for the caller Gatehouse verified at /mcp.
import { createGatehouse, Grant, KeyRing } from "gatehouse";
import * as z from "zod";

// The Durable Object classes must be exported by the Worker's main module, under the names wrangler.jsonc binds.
export { Grant, KeyRing };

/** Most notes kept per person. */
const MAX_NOTES = 50;

export default createGatehouse<Env>({
  // Configuration by the variable names of Gatehouse's README, checked as `[vars]` are.
  // FEEDBACK_TOOL=false and `whoami: false`: only this Worker's tools, neither built-in one.
  vars: { SERVICE_NAME: "Notes", FEEDBACK_TOOL: "false" },
  whoami: false,
  tools(server, { caller, env }) {
    server.registerTool(
      "greet",
      { title: "Greet", description: "Greets the signed-in person by the email address Gatehouse verified.", annotations: { readOnlyHint: true, openWorldHint: false } },
      () => ({ content: [{ type: "text", text: `Hello, ${caller?.email ?? "anonymous"}!` }] }),
    );

    server.registerTool(
      "add_note",
      {
        title: "Add a note",
        description: "Keeps a note for the signed-in person and returns all of their notes.",
        inputSchema: { text: z.string().min(1).max(500) },
        outputSchema: { owner: z.string(), notes: z.array(z.string()) },
      },
      async ({ text }) => {
        if (!caller) return { isError: true, content: [{ type: "text", text: "Sign in to keep notes." }] };
        // Keyed by the stable subject, never by the email, which the person may change upstream.
        const key = `notes:${caller.subject}`;
        const notes = [...((await env.NOTES.get<string[]>(key, "json")) ?? []), text].slice(-MAX_NOTES);
        await env.NOTES.put(key, JSON.stringify(notes));
        const result = { owner: caller.email ?? caller.subject, notes };
        return { content: [{ type: "text", text: JSON.stringify(result) }], structuredContent: result };
      },
    );
  },
});
