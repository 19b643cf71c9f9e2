// Reads request bodies at the edge: form bodies with duplicate and size checks, counted while they stream in.
import type { Context } from "hono";
import { OAuthError } from "../errors";
import { uniqueParams } from "../lib/params";

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

/**
 * Reads the body as text, refusing more than `limit` bytes (413) whatever Content-Length claims: a body sent
 * without it (chunked) is counted as it arrives and abandoned at the first byte past the limit, never buffered whole.
 * One within its declared length is read in one call: HTTP's framing ends it there.
 */
export async function readText(c: Context, limit: number): Promise<string> {
  const length = c.req.header("Content-Length");
  const declared = length !== undefined && /^\d{1,15}$/.test(length) ? Number(length) : undefined;
  if (declared !== undefined && declared > limit) throw tooLarge();
  const bytes = declared === undefined ? await readAtMost(c.req.raw.body, limit) : new Uint8Array(await c.req.raw.arrayBuffer());
  if (bytes.byteLength > limit) throw tooLarge();
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw new OAuthError("invalid_request", "the body is not valid UTF-8");
  }
}

/** The stream's bytes; past `limit` bytes it is cancelled and the read fails with 413 `invalid_request`. */
export async function readAtMost(body: ReadableStream<Uint8Array> | null, limit: number): Promise<Uint8Array> {
  if (!body) return new Uint8Array();
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let length = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    length += value.byteLength;
    if (length > limit) {
      await reader.cancel();
      throw tooLarge();
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(length);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}

function tooLarge(): OAuthError {
  return new OAuthError("invalid_request", "request body too large", { status: 413 });
}
