import { describe, expect, it } from "vitest";
import { parseOrigin } from "./origin";
import { Reader } from "./reader";

describe("parseOrigin", () => {
  it("stands in the development origin while PUBLIC_URL is wrong, with the problem named", () => {
    const read = new Reader({ PUBLIC_URL: "https://auth.example.com/path" });
    expect(parseOrigin(read)).toMatchObject({ publicUrl: "http://localhost:8787", mcpResource: "http://localhost:8787/mcp" });
    expect(read.problems.map((p) => p.variable)).toEqual(["PUBLIC_URL"]);
    expect(read.warnings).toEqual([]);
  });

  it("splits SCOPES on any whitespace and offers them all by default", () => {
    const read = new Reader({ PUBLIC_URL: "https://auth.example.com", SCOPES: " mcp \t files:read " });
    expect(parseOrigin(read)).toMatchObject({ scopes: ["mcp", "files:read"], defaultScopes: ["mcp", "files:read"] });
    expect(read.problems).toEqual([]);
  });
});
