// The `submit_feedback` tool: a person's feedback, sent by their assistant with their say-so, stored in D1 with the
// identity their token verified and forwarded as the signed webhook event `feedback.submitted`. Never logged.
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { Config } from "../../config";
import { insertFeedback } from "../../db/feedback";
import { deliverNow } from "../../webhook/deliver";
import { feedbackSubmittedEvent } from "../../webhook/event";
import { callerOf } from "../auth-info";
import { FEEDBACK_CATEGORIES, FEEDBACK_TOOL, MAX_FEEDBACK_LENGTH } from "./definitions";

function toolError(text: string) {
  return { content: [{ type: "text" as const, text }], isError: true };
}

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
