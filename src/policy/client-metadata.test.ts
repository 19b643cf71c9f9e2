// The display fields of client metadata, one set of rules for dynamic registration and metadata documents: names
// without invisible characters, bounded, and https URIs without credentials.
import { describe, expect, it } from "vitest";
import * as z from "zod";
import { displayMetadata, hasInvisibleCharacters, isHttpsUri, requiredClientName } from "./client-metadata";

const fields = z.object(displayMetadata);
const problem = (value: Record<string, unknown>) => {
  const parsed = fields.safeParse(value);
  return parsed.success ? undefined : `${parsed.error.issues[0]?.path.join(".")} ${parsed.error.issues[0]?.message}`;
};

describe("hasInvisibleCharacters", () => {
  it.each([
    ["right-to-left override", "Evil\u202eemaN"],
    ["left-to-right embedding", "a\u202ab"],
    ["right-to-left isolate", "a\u2067b"],
    ["pop directional isolate", "a\u2069b"],
    ["right-to-left mark", "a\u200fb"],
    ["arabic letter mark", "a\u061cb"],
    ["zero-width space", "Clau\u200bde"],
    ["zero-width non-joiner", "a\u200cb"],
    ["zero-width joiner", "a\u200db"],
    ["word joiner", "a\u2060b"],
    ["byte order mark", "\ufeffClaude"],
    ["soft hyphen", "Clau\u00adde"],
    ["Mongolian vowel separator", "a\u180eb"],
    ["combining grapheme joiner", "a\u034fb"],
    ["Hangul filler", "\u3164"],
    ["Hangul choseong filler", "a\u115fb"],
    ["halfwidth Hangul filler", "a\uffa0b"],
    ["tag character", "a\u{e0041}b"],
    ["NUL", "a\u0000b"],
    ["escape", "a\u001b[31mb"],
    ["delete", "a\u007fb"],
    ["next line (C1)", "a\u0085b"],
    ["tab", "a\tb"],
    ["newline", "a\nb"],
    ["line separator", "a\u2028b"],
    ["paragraph separator", "a\u2029b"],
  ])("finds a %s", (_name, value) => {
    expect(hasInvisibleCharacters(value)).toBe(true);
  });

  it.each(["Claude Code", "Cursor", "VS Code", "Café Ünïcödé", "日本語のアプリ", "عميل", "Client (beta) — v2.1", "Zed ✳️", "no\u00a0break", "e\u0301"])("allows %j", (value) => {
    expect(hasInvisibleCharacters(value)).toBe(false);
  });
});

describe("isHttpsUri", () => {
  it.each(["https://claude.ai", "https://app.example.com/logo.png", "https://app.example.com:8443/a/b?c=d#e", "HTTPS://App.Example.com/", "https://[2606:4700::1111]/x", "https://xn--caf-dma.example/"])("allows %s", (value) => {
    expect(isHttpsUri(value)).toBe(true);
  });

  it.each([
    "http://app.example.com/",
    "javascript:alert(1)",
    "data:image/png;base64,iVBORw0KGgo=",
    "//app.example.com/x",
    "https://",
    "https:///path",
    "https://user@app.example.com/",
    "https://user:pw@app.example.com/",
    "https://app.example.com\\@evil.example/",
    "https://app.example.com/a b",
    "https://app.example.com/\u202egnp.exe",
    "https://app.example.com/\u200b",
    "https://app.exa\u200bmple.com/",
    "https://app.example.com/\u3164",
    "https://exa mple.com/",
    "https://app.example.com:99999/",
    " https://app.example.com/",
  ])("refuses %j", (value) => {
    expect(isHttpsUri(value)).toBe(false);
  });
});

describe("displayMetadata", () => {
  it("accepts every field within the rules, trims the name, and takes an empty string as absent", () => {
    expect(fields.parse({ client_name: "  Inspector ", client_uri: "https://github.com/modelcontextprotocol/inspector", logo_uri: "", tos_uri: "https://app.example.com/tos", policy_uri: "https://app.example.com/privacy" })).toEqual({
      client_name: "Inspector",
      client_uri: "https://github.com/modelcontextprotocol/inspector",
      logo_uri: undefined,
      tos_uri: "https://app.example.com/tos",
      policy_uri: "https://app.example.com/privacy",
    });
  });

  it.each([
    [{ client_name: "x".repeat(129) }, "client_name must be at most 128 characters"],
    [{ client_name: "Evil\u202eemaN" }, "client_name must not contain control, format or invisible characters"],
    [{ client_name: "\u3164" }, "client_name must not contain control, format or invisible characters"],
    [{ client_name: 7 }, "client_name must be a string"],
    [{ client_uri: "javascript:alert(1)" }, "client_uri must be an https URL"],
    [{ logo_uri: "http://app.example.com/logo.png" }, "logo_uri must be an https URL"],
    [{ tos_uri: "https://user@app.example.com/tos" }, "tos_uri must be an https URL"],
    [{ policy_uri: { href: "https://app.example.com" } }, "policy_uri must be an https URL"],
    [{ logo_uri: `https://app.example.com/${"a".repeat(2000)}` }, "logo_uri must be at most 2000 characters"],
  ])("refuses %j", (value, expected) => {
    expect(problem(value)).toBe(expected);
  });

  it("lets a required name be neither missing nor blank", () => {
    expect(requiredClientName.safeParse(undefined).success).toBe(false);
    expect(requiredClientName.safeParse("   ").error?.issues[0]?.message).toBe("must not be empty");
    expect(requiredClientName.parse(" Claude Code ")).toBe("Claude Code");
  });
});
