// CSV rendering for exports: RFC 4180 quoting, and no cell a spreadsheet would run as a formula.

/** A cell value; `undefined` and `null` are empty cells. */
export type CsvValue = string | number | boolean | null | undefined;

/** Leading characters that make Excel, LibreOffice and Sheets evaluate a cell (OWASP "CSV Injection"). */
const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * One field: strings that would start a formula get a leading `'`, and fields holding a comma, quote, CR or LF
 * are quoted with inner quotes doubled. Numbers and booleans are Gatehouse's own values and are written as is.
 * @see https://www.rfc-editor.org/rfc/rfc4180#section-2
 * @see https://owasp.org/www-community/attacks/CSV_Injection
 */
export function csvField(value: CsvValue): string {
  if (value === null || value === undefined) return "";
  if (typeof value !== "string") return String(value);
  const text = FORMULA_START.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** One record, CRLF-terminated as RFC 4180 §2 rule 1 asks. */
export function csvRow(values: readonly CsvValue[]): string {
  return `${values.map(csvField).join(",")}\r\n`;
}
