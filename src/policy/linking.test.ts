import { describe, expect, it } from "vitest";
import { planLinks, requiredLinks, resourcesRequiring } from "./linking";

const servers = [
  { resource: "https://auth.example/mcp/code", requires: ["github", "jira"] },
  { resource: "https://auth.example/mcp/docs", requires: [] },
  { resource: "https://auth.example/mcp/issues", requires: ["jira"] },
];

describe("requiredLinks", () => {
  it("lists the server's required providers in order, leaving out the one the person signs in with", () => {
    expect(requiredLinks(servers, "https://auth.example/mcp/code", "okta")).toEqual(["github", "jira"]);
    expect(requiredLinks(servers, "https://auth.example/mcp/code", "github")).toEqual(["jira"]);
  });

  it("requires nothing for a server without requires, the built-in /mcp, or an unknown resource", () => {
    expect(requiredLinks(servers, "https://auth.example/mcp/docs", "okta")).toEqual([]);
    expect(requiredLinks(servers, "https://auth.example/mcp", "okta")).toEqual([]);
  });
});

describe("planLinks", () => {
  it("reuses live links, connects the rest in order, and skips what the grant already holds", () => {
    expect(planLinks(["github", "jira"], [], [])).toEqual({ reuse: [], connect: ["github", "jira"] });
    expect(planLinks(["github", "jira"], [], ["jira"])).toEqual({ reuse: ["jira"], connect: ["github"] });
    expect(planLinks(["github", "jira"], ["github"], ["github"])).toEqual({ reuse: [], connect: ["jira"] });
    expect(planLinks(["github", "jira"], ["github", "jira"], [])).toEqual({ reuse: [], connect: [] });
  });
});

describe("resourcesRequiring", () => {
  it("names every server that requires the provider", () => {
    expect(resourcesRequiring(servers, "jira")).toEqual(["https://auth.example/mcp/code", "https://auth.example/mcp/issues"]);
    expect(resourcesRequiring(servers, "okta")).toEqual([]);
  });
});
