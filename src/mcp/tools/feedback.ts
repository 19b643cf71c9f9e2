// The `submit_feedback` tool: a person's feedback, sent by their assistant with their say-so, stored in D1 with the
// identity their token verified and forwarded as the signed webhook event `feedback.submitted`. Never logged.
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import * as z from "zod";
import type { Config } from "../../config";
import { insertFeedback } from "../../db/feedback";
import { deliverNow } from "../../webhook/deliver";
import { feedbackSubmittedEvent } from "../../webhook/event";
import { callerOf } from "../auth-info";

/** The categories a submission may have. */
export const FEEDBACK_CATEGORIES = ["bug", "idea", "praise", "question", "other"] as const;
/** The longest message and context kept, in characters. */
export const MAX_FEEDBACK_LENGTH = 10_000;

const DESCRIPTION = [
  "Sends the user's feedback about this service to its operator.",
  "Before calling it, show the user the exact text you will send and ask them to confirm; never send feedback they have not approved.",
  "Include in `context` the page, task or tool the feedback is about, so the operator can act on it.",
  "The operator sees it together with the user's verified email and organisation.",
].join(" ");

// Loose on purpose: the checks below answer bad input with a tool error the assistant can read and correct.
const inputShape = {
  message: z.string().describe(`The feedback in the user's words (at most ${MAX_FEEDBACK_LENGTH} characters).`),
  category: z.string().optional().describe(`One of ${FEEDBACK_CATEGORIES.join(", ")}; default other.`),
  context: z.string().optional().describe("The page, task or tool the feedback is about."),
};

function toolError(text: string) {
  return { content: [{ type: "text" as const, text }], isError: true };
}

/** The tool as `tools/list` shows it (the bench's references list the same definition: bench/reference/mcp.ts). */
export const FEEDBACK_TOOL = {
  name: "submit_feedback",
  definition: { title: "Send feedback", description: DESCRIPTION, inputSchema: inputShape, annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false } },
};

/** Registers `submit_feedback` for an authenticated caller; anonymous requests (REQUIRE_AUTH=false) cannot send any. */
export function registerFeedback(server: McpServer, config: Config, runtime: { db: D1Database; ctx: ExecutionContext }): void {
  server.registerTool(
    FEEDBACK_TOOL.name,
    FEEDBACK_TOOL.definition,
    async (args, extra) => {
      const caller = callerOf(extra.authInfo);
      if (!caller) return toolError("Feedback needs a signed-in user.");
      const message = args.message.trim();
      const category = args.category?.trim() || "other";
      const pageContext = args.context?.trim() || undefined;
      if (message === "") return toolError("The feedback is empty: ask the user what they want to say.");
      if ([...message].length > MAX_FEEDBACK_LENGTH) return toolError(`The feedback is longer than ${MAX_FEEDBACK_LENGTH} characters: shorten it.`);
      if (pageContext !== undefined && [...pageContext].length > MAX_FEEDBACK_LENGTH) return toolError(`The context is longer than ${MAX_FEEDBACK_LENGTH} characters: shorten it.`);
      if (!(FEEDBACK_CATEGORIES as readonly string[]).includes(category)) return toolError(`Unknown category: use one of ${FEEDBACK_CATEGORIES.join(", ")}.`);
      const entry = {
        id: crypto.randomUUID(),
        createdAt: Math.floor(Date.now() / 1000),
        userId: caller.subject,
        email: caller.emailVerified === false ? undefined : caller.email,
        domain: caller.emailVerified === false ? undefined : caller.domain,
        orgId: caller.orgId,
        orgName: caller.orgName,
        clientId: caller.clientId,
        category,
        message,
        context: pageContext,
      };
      const event = config.captureWebhook ? feedbackSubmittedEvent(entry) : undefined;
      await insertFeedback(runtime.db, entry, event);
      // At least once: a failing receiver is retried by the sweep; the tool's answer never waits for it.
      if (event) runtime.ctx.waitUntil(deliverNow(runtime.db, config, event.id));
      const result = { received: true, id: entry.id };
      return { content: [{ type: "text" as const, text: "Thank you: the feedback was sent to the operator." }], structuredContent: result };
    },
  );
}
