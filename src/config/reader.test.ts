import { describe, expect, it } from "vitest";
import * as z from "zod";
import { Reader } from "./reader";

describe("Reader", () => {
  it("trims values and reads blank as unset", () => {
    const read = new Reader({ SERVICE_NAME: "  Acme  ", LOGO_URL: "   " });
    expect(read.text("SERVICE_NAME")).toBe("Acme");
    expect(read.text("LOGO_URL")).toBeUndefined();
    expect(read.text("SIGNUP_URL")).toBeUndefined();
  });

  it.each([
    ["true", true],
    ["TRUE", true],
    ["1", true],
    ["yes", true],
    ["false", false],
    ["0", false],
    ["No", false],
  ])("reads the flag %s as %s", (value, expected) => {
    const read = new Reader({ DEV_IDP: value });
    expect(read.flag("DEV_IDP", !expected)).toBe(expected);
    expect(read.problems).toEqual([]);
  });

  it("keeps the default of a flag it cannot read, naming the variable", () => {
    const read = new Reader({ REQUIRE_AUTH: "sometimes" });
    expect(read.flag("REQUIRE_AUTH", true)).toBe(true);
    expect(read.problems).toEqual([{ variable: "REQUIRE_AUTH", message: "must be true or false" }]);
  });

  it.each(["0", "11", "2.5", "1e999", "ten"])("keeps the default of a bounded number given %s", (value) => {
    const read = new Reader({ KEY_ROTATION_DAYS: value });
    expect(read.bounded("KEY_ROTATION_DAYS", 7, 1, 10)).toBe(7);
    expect(read.problems).toEqual([{ variable: "KEY_ROTATION_DAYS", message: "must be a whole number from 1 to 10" }]);
  });

  it("reads a bounded number at both bounds", () => {
    expect(new Reader({ KEY_ROTATION_DAYS: "1" }).bounded("KEY_ROTATION_DAYS", 7, 1, 10)).toBe(1);
    expect(new Reader({ KEY_ROTATION_DAYS: "10" }).bounded("KEY_ROTATION_DAYS", 7, 1, 10)).toBe(10);
  });

  it("reads an absolute http(s) URL as written and refuses any other", () => {
    const read = new Reader({ LOGO_URL: "https://acme.example/logo.png", PRIVACY_URL: "http://acme.example/privacy", SIGNUP_URL: "mailto:join@acme.example" });
    expect(read.url("LOGO_URL")).toBe("https://acme.example/logo.png");
    expect(read.url("PRIVACY_URL")).toBe("http://acme.example/privacy");
    expect(read.url("SIGNUP_URL")).toBeUndefined();
    expect(read.problems).toEqual([{ variable: "SIGNUP_URL", message: "must be an absolute http(s) URL" }]);
  });

  it("quotes the first schema issue of a JSON value with its path", () => {
    const schema = z.array(z.object({ name: z.string() }));
    const read = new Reader({ UPSTREAMS: JSON.stringify([{ name: "a" }, { name: 2 }]), STATIC_CLIENTS: "{not json" });
    expect(read.json("UPSTREAMS", schema, "a list")).toBeUndefined();
    expect(read.json("STATIC_CLIENTS", schema, "a list")).toBeUndefined();
    expect(read.problems.map((p) => p.variable)).toEqual(["UPSTREAMS", "STATIC_CLIENTS"]);
    expect(read.problems[0]?.message).toMatch(/^must be a list \(1\.name: /);
    expect(read.problems[1]?.message).toMatch(/^must be a list \(value: /);
    expect(new Reader({ UPSTREAMS: '[{"name":"a"}]' }).json("UPSTREAMS", schema, "a list")).toEqual([{ name: "a" }]);
  });

  it("collects problems and warnings in the order they are found", () => {
    const read = new Reader({});
    read.problem("PUBLIC_URL", "first");
    read.warn("careful");
    read.problem("SCOPES", "second");
    expect(read.problems.map((p) => p.variable)).toEqual(["PUBLIC_URL", "SCOPES"]);
    expect(read.warnings).toEqual(["careful"]);
  });
});
