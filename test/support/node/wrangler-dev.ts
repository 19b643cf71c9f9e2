// Starts a real `wrangler dev` for the end-to-end tests and the bench: its own port, its own local state, extra vars,
// readiness on /healthz and a clean stop of its whole process group. Gatehouse (`startGatehouse`: migrated D1, the
// development configuration) and the bench's reference Worker both start through `startWranglerDev`.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const WRANGLER_ENV = { WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_HIDE_BANNER: "true" };
const EMAIL_DOMAINS_SCRIPT = fileURLToPath(new URL("../../../scripts/email-domains.mjs", import.meta.url));

export interface Gatehouse {
  url: string;
  port: number;
  /** The `--persist-to` directory (local D1 and Durable Object state); removed by `stop`. */
  state: string;
  /** The process group of `wrangler dev` (npx, wrangler, its workerd processes): the bench reads their CPU time. */
  pgid: number;
  logs: () => string;
  stop: () => Promise<void>;
}

export interface StartOptions {
  /** Load the free-mail and disposable email domain lists after the migrations, as `npm run email-domains` does. */
  emailDomains?: boolean;
  /** Another Worker's wrangler configuration (its top level, with the .dev.vars beside it) instead of Gatehouse's `env.dev`. */
  config?: string;
  /**
   * Further Worker configurations run in the same `wrangler dev` (multi-config, Gatehouse first), so Gatehouse's
   * service bindings reach them without the dev registry.
   */
  workers?: string[];
}

export interface WranglerDevOptions {
  port: number;
  /** What the server is, for the error when it does not start. */
  name: string;
  /** Arguments after `wrangler dev` other than the port, state and vars (`--env dev`, `-c <config>`). */
  args: string[];
  vars: Record<string, string>;
  /** Prefix of the temporary state directory. */
  statePrefix: string;
  /** Runs before the server starts, with the state directory (migrations). */
  prepare?: (state: string, env: NodeJS.ProcessEnv) => void;
}

/**
 * The stop of every server started in this process and not stopped yet. Each is registered the moment its state
 * directory or process exists, before anything is awaited, so a setup that fails half-way (a browser launch that
 * rejects inside a `Promise.all`, a failed migration) still stops it: test/e2e/setup.ts calls
 * `stopStartedGatehouses` after every file.
 */
const started = new Set<() => Promise<void>>();

/** Stops every server this file started that is still running, including one still starting. */
export async function stopStartedGatehouses(): Promise<void> {
  await Promise.all([...started].map((stop) => stop()));
}

/** Whether any process of the group `pgid` is alive (signal 0 only checks). */
function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
  } catch {
    return false;
  }
  // A zombie still answers signal 0 until it is reaped, and a container's init may never reap it: only members that
  // still run count.
  if (!existsSync("/proc")) return true;
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const [state, , group] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(group) === pgid && state !== "Z") return true;
    } catch {}
  }
  return false;
}

/**
 * Stops `wrangler dev` with its whole process group: npx, wrangler, esbuild and workerd. Killing only npx (or
 * waiting for its exit) leaves workerd running, spinning on its closed stdin. SIGKILL after 5 s.
 */
async function stopProcessGroup(pgid: number): Promise<void> {
  try {
    process.kill(-pgid, "SIGTERM");
  } catch {
    return;
  }
  const deadline = Date.now() + 5000;
  while (groupAlive(pgid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  if (!groupAlive(pgid)) return;
  try {
    process.kill(-pgid, "SIGKILL");
  } catch {}
  while (groupAlive(pgid)) await new Promise((r) => setTimeout(r, 50));
}

/** Starts `wrangler dev` on `port` (inspector on port + 1000) with its own state; resolves when /healthz answers. */
export async function startWranglerDev(options: WranglerDevOptions): Promise<Gatehouse> {
  const { port } = options;
  const state = mkdtempSync(join(tmpdir(), options.statePrefix));
  let pgid: number | undefined;
  let stopped = false;
  const stop = async () => {
    stopped = true;
    if (pgid !== undefined) await stopProcessGroup(pgid);
    rmSync(state, { recursive: true, force: true });
    started.delete(stop);
  };
  started.add(stop);
  try {
    const env = { ...process.env, ...WRANGLER_ENV };
    options.prepare?.(state, env);
    const url = `http://localhost:${port}`;
    const allVars = { PUBLIC_URL: url, ...options.vars };
    const args = ["wrangler", "dev", ...options.args, "--ip", "127.0.0.1", "--port", String(port), "--persist-to", state, "--show-interactive-dev-session=false", "--inspector-port", String(port + 1000)];
    for (const [key, value] of Object.entries(allVars)) args.push("--var", `${key}:${value}`);
    // detached: its own process group, so `stop` reaches workerd, which wrangler starts as a grandchild of npx.
    const child: ChildProcess = spawn("npx", args, { env, stdio: ["ignore", "pipe", "pipe"], detached: true });
    pgid = child.pid;
    let output = "";
    child.stdout?.on("data", (d) => (output += d));
    child.stderr?.on("data", (d) => (output += d));
    const deadline = Date.now() + 90_000;
    while (Date.now() < deadline && !stopped && child.exitCode === null) {
      try {
        const res = await fetch(`${url}/healthz`);
        if (res.ok) return { url, port, state, pgid: child.pid ?? 0, logs: () => output, stop };
      } catch {}
      await new Promise((r) => setTimeout(r, 300));
    }
    throw new Error(stopped ? `${options.name} on ${port} was stopped while starting` : `${options.name} did not start on ${port}:\n${output.slice(-4000)}`);
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Starts Gatehouse's development configuration (wrangler.jsonc `env.dev`, or `options.config`) on `port` with `vars` overriding its vars, on a migrated D1. */
export function startGatehouse(port: number, vars: Record<string, string> = {}, options: StartOptions = {}): Promise<Gatehouse> {
  const configuration = options.config ? ["--config", options.config] : ["--env", "dev"];
  // Several configurations: each named, Gatehouse's first; `--env dev` picks each one's env.dev where it has one.
  const configs = [options.config ?? "wrangler.jsonc", ...(options.workers ?? [])];
  const dev = options.workers?.length ? [...configs.flatMap((config) => ["--config", config]), ...(options.config ? [] : ["--env", "dev"])] : configuration;
  return startWranglerDev({
    port,
    name: "wrangler dev",
    args: dev,
    vars,
    statePrefix: "gatehouse-e2e-",
    prepare(state, env) {
      const migrate = spawnSync("npx", ["wrangler", "d1", "migrations", "apply", "DB", "--local", ...configuration, "--persist-to", state], { env, encoding: "utf8" });
      if (migrate.status !== 0) throw new Error(`migrations failed: ${migrate.stderr}`);
      if (options.emailDomains) {
        const load = spawnSync("node", [EMAIL_DOMAINS_SCRIPT, "--local", "--persist-to", state], { env, encoding: "utf8" });
        if (load.status !== 0) throw new Error(`npm run email-domains failed: ${load.stderr}`);
      }
    },
  });
}
