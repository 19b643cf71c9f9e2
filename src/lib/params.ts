// Request parameters as values: single-valued (RFC 6749 §3.1, §3.2: parameters MUST NOT repeat), and zod
// schemas whose first issue becomes `invalid_request` naming the parameter.
import type * as z from "zod";
import { OAuthError } from "../errors";

/** Single-valued parameters; a repeated one is `invalid_request`. */
export function uniqueParams(params: URLSearchParams): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of params) {
    if (Object.hasOwn(out, key)) throw new OAuthError("invalid_request", `parameter ${key} is repeated`);
    out[key] = value;
  }
  return out;
}

/** Validates with a zod schema; the first issue names the parameter in `invalid_request`. */
export function parseParams<T extends z.ZodType>(schema: T, input: unknown): z.infer<T> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const name = issue?.path.join(".") || "request";
  const missing = issue?.code === "invalid_type" && issue.input === undefined;
  throw new OAuthError("invalid_request", missing ? `missing parameter ${name}` : `invalid parameter ${name}`);
}
