// The built-in tools beside `whoami` as `tools/list` shows them: name, description, schemas. Apart from their handlers
// (upstream-userinfo.ts, feedback.ts) so that the bench's references list the very same tools without bundling what
// the handlers call (bench/reference/mcp.ts).
import * as z from "zod";

/** `upstream_userinfo`: read-only; optional argument `provider`, default the grant's first linked one. */
export const UPSTREAM_USERINFO_TOOL = {
  name: "upstream_userinfo",
  definition: {
    title: "Upstream user info",
    description: "Returns the signed-in user's profile from their sign-in provider's userinfo endpoint, called with the provider's own access token.",
    inputSchema: { provider: z.string().max(64).optional() },
    annotations: { readOnlyHint: true, openWorldHint: true },
  },
};

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

// Loose on purpose: the handler's checks (feedback.ts) answer bad input with a tool error the assistant can read and
// correct.
const inputShape = {
  message: z.string().describe(`The feedback in the user's words (at most ${MAX_FEEDBACK_LENGTH} characters).`),
  category: z.string().optional().describe(`One of ${FEEDBACK_CATEGORIES.join(", ")}; default other.`),
  context: z.string().optional().describe("The page, task or tool the feedback is about."),
};

/** `submit_feedback`: stores the person's feedback (src/mcp/tools/feedback.ts). */
export const FEEDBACK_TOOL = {
  name: "submit_feedback",
  definition: { title: "Send feedback", description: DESCRIPTION, inputSchema: inputShape, annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false } },
};
