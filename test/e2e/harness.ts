// Starts a real `wrangler dev` for an end-to-end test: its own port, its own local state (migrated D1),
// extra vars, and a clean stop. Every e2e test drives Gatehouse through this.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const WRANGLER_ENV = { WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_HIDE_BANNER: "true" };
const EMAIL_DOMAINS_SCRIPT = fileURLToPath(new URL("../../scripts/email-domains.mjs", import.meta.url));

export interface Gatehouse {
  url: string;
  port: number;
  /** The `--persist-to` directory (local D1 and Durable Object state); removed by `stop`. */
  state: string;
  logs: () => string;
  stop: () => Promise<void>;
}

export interface StartOptions {
  /** Load the free-mail and disposable email domain lists after the migrations, as `npm run email-domains` does. */
  emailDomains?: boolean;
}

/** Starts Gatehouse's development configuration (wrangler.jsonc `env.dev`) on `port` with `vars` overriding its vars; resolves when /healthz answers. */
export async function startGatehouse(port: number, vars: Record<string, string> = {}, options: StartOptions = {}): Promise<Gatehouse> {
  const state = mkdtempSync(join(tmpdir(), "gatehouse-e2e-"));
  const env = { ...process.env, ...WRANGLER_ENV };
  const migrate = spawnSync("npx", ["wrangler", "d1", "migrations", "apply", "DB", "--local", "--env", "dev", "--persist-to", state], { env, encoding: "utf8" });
  if (migrate.status !== 0) throw new Error(`migrations failed: ${migrate.stderr}`);
  if (options.emailDomains) {
    const load = spawnSync("node", [EMAIL_DOMAINS_SCRIPT, "--local", "--persist-to", state], { env, encoding: "utf8" });
    if (load.status !== 0) {
      rmSync(state, { recursive: true, force: true });
      throw new Error(`npm run email-domains failed: ${load.stderr}`);
    }
  }
  const url = `http://localhost:${port}`;
  const allVars = { PUBLIC_URL: url, ...vars };
  const args = ["wrangler", "dev", "--env", "dev", "--ip", "127.0.0.1", "--port", String(port), "--persist-to", state, "--show-interactive-dev-session=false", "--inspector-port", String(port + 1000)];
  for (const [key, value] of Object.entries(allVars)) args.push("--var", `${key}:${value}`);
  const child: ChildProcess = spawn("npx", args, { env, stdio: ["ignore", "pipe", "pipe"], detached: true });
  let output = "";
  child.stdout?.on("data", (d) => (output += d));
  child.stderr?.on("data", (d) => (output += d));
  const stop = async () => {
    if (child.exitCode === null && child.pid) {
      try {
        process.kill(-child.pid, "SIGTERM");
      } catch {}
      await new Promise((resolve) => {
        const timer = setTimeout(() => {
          try {
            if (child.pid) process.kill(-child.pid, "SIGKILL");
          } catch {}
          resolve(undefined);
        }, 5000);
        child.once("exit", () => {
          clearTimeout(timer);
          resolve(undefined);
        });
      });
    }
    rmSync(state, { recursive: true, force: true });
  };
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) break;
    try {
      const res = await fetch(`${url}/healthz`);
      if (res.ok) return { url, port, state, logs: () => output, stop };
    } catch {}
    await new Promise((r) => setTimeout(r, 300));
  }
  await stop();
  throw new Error(`wrangler dev did not start on ${port}:\n${output.slice(-4000)}`);
}
