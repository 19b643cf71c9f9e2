// The official MCP conformance suite's server scenarios against an origin behind the gateway: the suite's active
// server scenarios run once against the origin directly and once through Gatehouse at /mcp/conformance, and every
// scenario must pass both ways. The suite talks to Gatehouse through a forwarder that adds the bearer token this
// test obtained through the MCP SDK's OAuth flow (conformance-suite.ts). gateway-conformance-2026.test.ts does the
// same for the 2026-07-28 generation.
// @see https://github.com/modelcontextprotocol/conformance; issue 15
import { auth } from "@modelcontextprotocol/sdk/client/auth.js";
import { decodeProtectedHeader } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Gatehouse, startGatehouse } from "../support/node/wrangler-dev";
import { failures, runSuite, startForwarder } from "./conformance-suite";
import { type ConformanceOrigin, startConformanceOrigin } from "./fixtures/conformance-origin";
import { HeadlessOAuthClient } from "./oauth-client";

const PORT = 8971;
const ORIGIN_PORT = 8975;
const FORWARDER_PORT = 8976;
const REDIRECT_URI = "http://127.0.0.1:8977/callback";
const GATEHOUSE_URL = `http://localhost:${PORT}`;

/** The active server scenarios of the pinned suite (0.2.0-alpha.12), in the order it runs them. */
const SCENARIOS = [
  "server-initialize",
  "server-session-lifecycle",
  "logging-set-level",
  "ping",
  "completion-complete",
  "tools-list",
  "tools-call-simple-text",
  "tools-call-image",
  "tools-call-audio",
  "tools-call-embedded-resource",
  "tools-call-mixed-content",
  "tools-call-with-logging",
  "tools-call-error",
  "tools-call-with-progress",
  "tools-call-sampling",
  "tools-call-elicitation",
  "elicitation-sep1034-defaults",
  "server-sse-multiple-streams",
  "elicitation-sep1330-enums",
  "resources-list",
  "resources-read-text",
  "resources-read-binary",
  "resources-templates-read",
  "resources-subscribe",
  "resources-unsubscribe",
  "prompts-list",
  "prompts-get-simple",
  "prompts-get-with-args",
  "prompts-get-embedded-resource",
  "prompts-get-with-image",
  "dns-rebinding-protection",
];

describe("MCP conformance suite, server scenarios, against an origin through the gateway", () => {
  const stops: (() => Promise<void>)[] = [];
  let gatehouse: Gatehouse;
  let origin: ConformanceOrigin;
  let token: string;
  let direct: Awaited<ReturnType<typeof runSuite>>;
  let through: Awaited<ReturnType<typeof runSuite>>;
  let throughRequests: (string | undefined)[];

  beforeAll(async () => {
    origin = await startConformanceOrigin(ORIGIN_PORT, stops);
    gatehouse = await startGatehouse(PORT, { MCP_SERVERS: JSON.stringify([{ name: "conformance", label: "Conformance origin", origin: origin.url }]) });
    const serverUrl = `${gatehouse.url}/mcp/conformance`;
    const oauth = new HeadlessOAuthClient({ redirectUrl: REDIRECT_URI, clientName: "conformance forwarder", browse: { fill: { email: "conformance@example.com" }, choose: ["decision=approve", "action=login"] }, expectedIssuer: GATEHOUSE_URL });
    expect(await auth(oauth, { serverUrl })).toBe("REDIRECT");
    expect(await auth(oauth, { serverUrl, authorizationCode: oauth.code ?? "" })).toBe("AUTHORIZED");
    token = oauth.tokens()?.access_token ?? "";
    const forwarder = await startForwarder(FORWARDER_PORT, serverUrl, token, stops);
    direct = await runSuite(origin.url);
    const before = origin.authorizations.length;
    through = await runSuite(forwarder);
    throughRequests = origin.authorizations.slice(before);
  }, 600_000);

  afterAll(async () => {
    await gatehouse?.stop();
    await Promise.all(stops.map((stop) => stop()));
  });

  it("the origin passes every active server scenario directly", () => {
    expect(Object.keys(direct.checks).sort(), direct.output).toEqual([...SCENARIOS].sort());
    expect(failures(direct.checks)).toEqual([]);
  });

  it("every scenario passes through the gateway; a foreign Host is refused before routing, as DNS rebinding needs", () => {
    expect(Object.keys(through.checks).sort(), through.output).toEqual([...SCENARIOS].sort());
    expect(failures(through.checks)).toEqual([]);
    const rebinding = through.checks["dns-rebinding-protection"] ?? [];
    expect(rebinding.map((c) => [c.id, c.status])).toEqual([
      ["localhost-host-rebinding-rejected", "SUCCESS"],
      ["localhost-host-valid-accepted", "SUCCESS"],
    ]);
  });

  it("the origin received only Gatehouse's identity assertions during the gateway run, never the client's token", () => {
    expect(throughRequests.length).toBeGreaterThan(50);
    for (const authorization of throughRequests) {
      const presented = authorization?.replace(/^Bearer /, "") ?? "";
      expect(presented).not.toBe(token);
      expect(decodeProtectedHeader(presented).typ).toBe("gh-id+jwt");
    }
  });
});
