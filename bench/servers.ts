// Starts the two servers under test: Gatehouse through the e2e harness, and the reference Worker (bench/reference/)
// the same way (its own port, its own temporary local state), each with a clean stop.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Gatehouse, startGatehouse as startHarness, WRANGLER_ENV } from "../test/e2e/harness";

export type Server = Gatehouse;

/** Gatehouse as the e2e tests start it, with its rate limits off: the load here comes from one address. */
export function startGatehouse(port: number, vars: Record<string, string> = {}): Promise<Server> {
  return startHarness(port, { RATE_LIMITS: "false", ...vars });
}

/** Relative to the package root, where npm runs scripts (the harness relies on it too, for wrangler.jsonc). */
const REFERENCE_CONFIG = "bench/reference/wrangler.toml";

/** Starts the workers-oauth-provider reference on `port` (inspector on port + 1000); resolves when it answers. */
export async function startReference(port: number, configPath = REFERENCE_CONFIG): Promise<Server> {
  const state = mkdtempSync(join(tmpdir(), "gatehouse-bench-ref-"));
  const url = `http://localhost:${port}`;
  const args = ["wrangler", "dev", "-c", configPath, "--ip", "127.0.0.1", "--port", String(port), "--persist-to", state];
  args.push("--show-interactive-dev-session=false", "--inspector-port", String(port + 1000), "--var", `PUBLIC_URL:${url}`);
  const child: ChildProcess = spawn("npx", args, { env: { ...process.env, ...WRANGLER_ENV }, stdio: ["ignore", "pipe", "pipe"], detached: true });
  let output = "";
  child.stdout?.on("data", (d) => (output += d));
  child.stderr?.on("data", (d) => (output += d));
  const stop = async () => {
    await stopGroup(child);
    rmSync(state, { recursive: true, force: true });
  };
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline && child.exitCode === null) {
    try {
      if ((await fetch(`${url}/healthz`)).ok) return { url, port, state, logs: () => output, stop };
    } catch {}
    await new Promise((r) => setTimeout(r, 300));
  }
  await stop();
  throw new Error(`the reference did not start on ${port}:\n${output.slice(-4000)}`);
}

/** SIGTERM to the process group wrangler leads (wrangler, workerd), SIGKILL after 5 s. */
async function stopGroup(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || !child.pid) return;
  const pid = child.pid;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  try {
    process.kill(-pid, "SIGTERM");
  } catch {}
  const timer = setTimeout(() => {
    try {
      process.kill(-pid, "SIGKILL");
    } catch {}
  }, 5000);
  await exited;
  clearTimeout(timer);
}
