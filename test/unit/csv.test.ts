// CSV export cells: RFC 4180 quoting of every string and spreadsheet formula neutralisation (OWASP CSV Injection).
import { describe, expect, it } from "vitest";
import { csvField, csvRow } from "../../src/admin/csv";

describe("csvField", () => {
  it.each([
    ["a plain string quoted", "ada@example.com", '"ada@example.com"'],
    ["an empty string as an empty quoted field", "", '""'],
    ["null and undefined as empty cells", null, ""],
    ["numbers and booleans as written", 42, "42"],
    ["a field with a comma quoted", "Lovelace, Ada", '"Lovelace, Ada"'],
    ["inner quotes doubled and the field quoted", 'Ada "the Countess"', '"Ada ""the Countess"""'],
    ["a field with LF quoted", "line one\nline two", '"line one\nline two"'],
    ["a field with CRLF quoted", "a\r\nb", '"a\r\nb"'],
  ])("writes %s", (_name, value, expected) => {
    expect(csvField(value)).toBe(expected);
  });

  it.each([
    ["=", "=HYPERLINK(\"http://evil\")", "\"'=HYPERLINK(\"\"http://evil\"\")\""],
    ["+", "+1+1", "\"'+1+1\""],
    ["-", "-2+3", "\"'-2+3\""],
    ["@", "@SUM(A1:A2)", "\"'@SUM(A1:A2)\""],
    ["a tab", "\t=1", "\"'\t=1\""],
    ["a carriage return", "\r=1", "\"'\r=1\""],
  ])("prefixes a string starting with %s with a quote so it cannot run as a formula", (_start, value, expected) => {
    expect(csvField(value)).toBe(expected);
  });

  it("neutralises and quotes a formula that also holds a comma", () => {
    expect(csvField("=1,2")).toBe("\"'=1,2\"");
  });

  it.each([
    ["a formula behind ;", "Ada;=1+1", '"Ada;=1+1"'],
    ["a formula behind ; and a space", "org; @SUM(A1)", '"org; @SUM(A1)"'],
  ])("quotes %s, so a spreadsheet splitting on ; keeps it inside one cell", (_name, value, expected) => {
    expect(csvField(value)).toBe(expected);
  });

  it("leaves a formula character in the middle alone", () => {
    expect(csvField("a=b+c@d-e")).toBe('"a=b+c@d-e"');
  });

  it("writes negative numbers as numbers (only strings can carry a formula)", () => {
    expect(csvField(-1)).toBe("-1");
  });
});

describe("csvRow", () => {
  it("joins fields with commas and ends with CRLF", () => {
    expect(csvRow(["a", "b,c", undefined, 3, true])).toBe('"a","b,c",,3,true\r\n');
  });
});
