// Reads request parameters at the edge: form bodies with duplicate and size checks, and zod schemas whose
// first issue becomes `invalid_request` naming the parameter (RFC 6749 §3.1, §3.2: parameters MUST NOT repeat).
import type { Context } from "hono";
import type * as z from "zod";
import { OAuthError } from "./errors";

/** Largest form body accepted at /token, /revoke and /introspect. */
export const FORM_LIMIT = 16 * 1024;

/** Parses an `application/x-www-form-urlencoded` body into single values; repeated or oversized → `invalid_request`. */
export async function readForm(c: Context, limit = FORM_LIMIT): Promise<Record<string, string>> {
  const type = c.req.header("Content-Type") ?? "";
  if (!/^application\/x-www-form-urlencoded\b/i.test(type)) {
    throw new OAuthError("invalid_request", "the body must be application/x-www-form-urlencoded");
  }
  const body = await readText(c, limit);
  return uniqueParams(new URLSearchParams(body));
}

/** Reads the body as text, refusing more than `limit` bytes (413) whatever Content-Length claims. */
export async function readText(c: Context, limit: number): Promise<string> {
  const declared = Number(c.req.header("Content-Length") ?? "0");
  if (declared > limit) throw new OAuthError("invalid_request", "request body too large", { status: 413 });
  const buffer = await c.req.arrayBuffer();
  if (buffer.byteLength > limit) throw new OAuthError("invalid_request", "request body too large", { status: 413 });
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(buffer);
  } catch {
    throw new OAuthError("invalid_request", "the body is not valid UTF-8");
  }
}

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
