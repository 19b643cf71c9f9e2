// Admin API query strings: one zod schema per endpoint, unknown or repeated parameters refused, and opaque cursors.
import { base64url } from "jose";
import * as z from "zod";
import type { Context } from "hono";
import { OAuthError, PageError } from "../errors";
import { parseParams, uniqueParams } from "../lib/params";

/** Page size bounds of every listing. */
export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = 200;

export const limitParam = z.coerce.number().int().min(1).max(MAX_LIMIT).default(DEFAULT_LIMIT);

/** A filter value: non-empty, bounded, no control characters. */
export const textParam = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .regex(/^[^\u0000-\u001f\u007f]*$/)
    .optional();

/** A time bound: Unix seconds, or an ISO 8601 date-time (converted to Unix seconds). */
export const timeParam = z
  .string()
  .max(40)
  .transform((value, ctx) => {
    const seconds = /^\d{1,12}$/.test(value) ? Number(value) : Date.parse(value) / 1000;
    if (!Number.isFinite(seconds)) {
      ctx.addIssue({ code: "custom", message: "not a time" });
      return z.NEVER;
    }
    return Math.floor(seconds);
  })
  .optional();

/** The cursor's wire form: base64url(JSON(sort key of the page's last item)); opaque to callers. */
export function encodeCursor(key: readonly (string | number)[]): string {
  return base64url.encode(JSON.stringify(key));
}

/** A cursor parameter decoding to the sort key `shape`; anything else is `invalid_request` naming `cursor`. */
export function cursorParam<T extends z.ZodType>(shape: T) {
  return z
    .string()
    .max(1024)
    .transform((value, ctx): z.infer<T> => {
      let decoded: unknown;
      try {
        decoded = JSON.parse(new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(base64url.decode(value)));
      } catch {
        decoded = undefined;
      }
      const parsed = shape.safeParse(decoded);
      if (!parsed.success) {
        ctx.addIssue({ code: "custom", message: "not a cursor of this listing" });
        return z.NEVER;
      }
      return parsed.data;
    })
    .optional();
}

/** `[created_at or first_seen_at, id]`, the keyset of users, clients and grants. */
export const timeIdKey = z.tuple([z.number().int(), z.string().max(512)]);

/**
 * The query string parsed by `schema`; a repeated or unknown parameter is `invalid_request` naming it, so a typo
 * such as `?domian=` fails rather than silently listing (or exporting) everyone.
 */
export function readQuery<T extends z.ZodObject>(c: Context, schema: T): z.infer<T> {
  const params = uniqueParams(new URL(c.req.url).searchParams);
  for (const key of Object.keys(params)) {
    if (!Object.hasOwn(schema.shape, key)) throw new OAuthError("invalid_request", `unknown parameter ${key}`);
  }
  return parseParams(schema, params);
}

/** A page of `limit` items from `rows` (read with `limit + 1`), and the cursor of the next page when there is one. */
export function page<Row, Item>(rows: Row[], limit: number, key: (row: Row) => readonly (string | number)[], item: (row: Row) => Item): { items: Item[]; next_cursor: string | null } {
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return { items: items.map(item), next_cursor: rows.length > limit && last !== undefined ? encodeCursor(key(last)) : null };
}

/** Parameters a console link carries beside a page's filters: the notice of the last action and the period. */
const CONSOLE_PARAMS = new Set(["done", "days"]);

/**
 * `readQuery` for the console's pages: an empty field of a submitted filter form means "any", and a bad value is a
 * page naming the parameter rather than OAuth JSON.
 */
export function readPageQuery<T extends z.ZodObject>(c: Context, schema: T): z.infer<T> {
  const url = new URL(c.req.url);
  for (const [key, value] of [...url.searchParams]) if (value === "" || CONSOLE_PARAMS.has(key)) url.searchParams.delete(key);
  try {
    const params = uniqueParams(url.searchParams);
    for (const key of Object.keys(params)) {
      if (!Object.hasOwn(schema.shape, key)) throw new OAuthError("invalid_request", `unknown parameter ${key}`);
    }
    return parseParams(schema, params);
  } catch (err) {
    if (err instanceof OAuthError) throw new PageError("Invalid filter", `This page cannot be shown: ${err.description}.`, { reason: `console query: ${err.description}` });
    throw err;
  }
}
