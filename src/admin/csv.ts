// CSV rendering for exports: RFC 4180 quoting of every string, and no cell a spreadsheet would run as a formula.

/** A cell value; `undefined` and `null` are empty cells. */
export type CsvValue = string | number | boolean | null | undefined;

/** Leading characters that make Excel, LibreOffice and Sheets evaluate a cell (OWASP "CSV Injection"). */
const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * One field: every string is quoted with inner quotes doubled, and one that would start a formula gets a leading
 * `'`. Quoting all of them matters where a spreadsheet splits on `;` (many European locales): an unquoted
 * `a;=HYPERLINK(…)` would become a cell starting with `=`. Numbers and booleans are Gatehouse's own values and are
 * written as is.
 * @see https://www.rfc-editor.org/rfc/rfc4180#section-2
 * @see https://owasp.org/www-community/attacks/CSV_Injection
 */
export function csvField(value: CsvValue): string {
  if (value === null || value === undefined) return "";
  if (typeof value !== "string") return String(value);
  const text = FORMULA_START.test(value) ? `'${value}` : value;
  return `"${text.replace(/"/g, '""')}"`;
}

/** One record, CRLF-terminated as RFC 4180 §2 rule 1 asks. */
export function csvRow(values: readonly CsvValue[]): string {
  return `${values.map(csvField).join(",")}\r\n`;
}
