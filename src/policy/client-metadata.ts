// The client metadata people see or follow (RFC 7591 §2 display fields): one set of rules for dynamic registrations
// (src/oauth/register.ts) and Client ID Metadata Documents (src/policy/cimd.ts). Pure zod schemas.
import * as z from "zod";
import { parseUrl } from "../lib/url";

/** Longest client_name, in UTF-16 code units. */
export const CLIENT_NAME_MAX = 128;
/** Longest metadata URI. */
export const METADATA_URI_MAX = 2000;

/**
 * Characters that render as nothing or change how the text around them renders, so a name could read as another
 * (bidi overrides such as U+202E, zero-width characters, fillers): controls (Cc), format characters (Cf), line and
 * paragraph separators, and every other default-ignorable code point. Variation selectors stay allowed (emoji).
 * @see https://www.unicode.org/reports/tr36/#Bidirectional_Text_Spoofing
 * @see https://www.unicode.org/reports/tr44/#Default_Ignorable_Code_Point
 */
const INVISIBLE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]|(?![\uFE00-\uFE0F\u{E0100}-\u{E01EF}])\p{Default_Ignorable_Code_Point}/u;

/** Whether `value` holds a character of INVISIBLE. */
export function hasInvisibleCharacters(value: string): boolean {
  return INVISIBLE.test(value);
}

/**
 * Whether `value` is an https URL a person may be sent to: `https://` with a host, no credentials, no whitespace,
 * no backslash before the path, and no invisible characters anywhere.
 */
export function isHttpsUri(value: string): boolean {
  if (!/^https:\/\/[^/?#\s@\\]+([/?#]\S*)?$/i.test(value) || hasInvisibleCharacters(value)) return false;
  return (parseUrl(value)?.hostname ?? "") !== "";
}

/** An optional metadata string; `""` counts as absent, as some clients send empty strings for unset fields. */
export const optional = <T extends z.ZodType>(schema: T) => z.preprocess((value) => (value === "" ? undefined : value), schema.optional());

/** A text field shown to people: trimmed, at most `max` long, no invisible characters. */
export const displayText = (max: number) =>
  z
    .string("must be a string")
    .trim()
    .max(max, `must be at most ${max} characters`)
    .refine((value) => !hasInvisibleCharacters(value), "must not contain control, format or invisible characters");

/** A URI field a person may follow: https only (see `isHttpsUri`), at most METADATA_URI_MAX long. */
export const httpsUri = z
  .string("must be an https URL")
  .max(METADATA_URI_MAX, `must be at most ${METADATA_URI_MAX} characters`)
  .refine(isHttpsUri, "must be an https URL");

/** The client name as a metadata document must give it: present and not blank. */
export const requiredClientName = displayText(CLIENT_NAME_MAX).refine((value) => value !== "", "must not be empty");

/** The display fields both registration paths accept, under the same rules. @see https://www.rfc-editor.org/rfc/rfc7591#section-2 */
export const displayMetadata = {
  client_name: optional(displayText(CLIENT_NAME_MAX)),
  client_uri: optional(httpsUri),
  logo_uri: optional(httpsUri),
  tos_uri: optional(httpsUri),
  policy_uri: optional(httpsUri),
};
