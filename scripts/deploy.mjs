// `npm run deploy [-- wrangler deploy arguments]`: checks the configuration being shipped (scripts/deploy-checks.mjs),
// refuses with every problem named, else runs `wrangler deploy` and prints the URL to give MCP clients.
import { spawnSync } from "node:child_process";
import { pathToFileURL } from "node:url";
import { unstable_readConfig } from "wrangler";
import { checkDatabase, checkMigrations, checkVars, clientUrl, parseDeployArgs, readMigrationList } from "./deploy-checks.mjs";

const WRANGLER_ENV = { ...process.env, WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_HIDE_BANNER: "true" };

/** Runs `npx wrangler <args>`: captured for the checks, or with the terminal for the deploy itself. */
function wrangler(args, { inherit = false } = {}) {
  return spawnSync("npx", ["wrangler", ...args], { env: WRANGLER_ENV, encoding: "utf8", stdio: inherit ? "inherit" : "pipe" });
}

/**
 * @typedef {{ status: number | null, stdout: string, stderr: string, error?: Error }} RunResult
 * @typedef {{ vars?: Record<string, unknown>, d1_databases?: { binding: string, database_id?: string }[] }} DeployConfig
 */

/**
 * The whole command with its effects passed in, so tests run it against stubbed wrangler output.
 * @param {string[]} argv
 * @param {{ readConfig?: (args: { config?: string, env?: string }) => DeployConfig, run?: (args: string[], options?: { inherit?: boolean }) => RunResult, print?: (line: string) => void, printError?: (line: string) => void }} [effects]
 * @returns {number} the exit status
 */
export function deploy(argv, { readConfig = unstable_readConfig, run = wrangler, print = console.log, printError = console.error } = {}) {
  const { vars: cliVars, env, config: configPath } = parseDeployArgs(argv);
  const target = [...(env ? ["--env", env] : []), ...(configPath ? ["--config", configPath] : [])];
  const config = readConfig({ config: configPath, env });
  const vars = { ...config.vars, ...cliVars };

  let problems = checkVars(vars);
  // An upstream kept as a secret (UPSTREAMS carries client secrets) is set even though its value is not visible here.
  if (problems.some((p) => p.variable.startsWith("UPSTREAM"))) {
    const listed = run(["secret", "list", "--format", "json", ...target]);
    const secrets = listed.status === 0 ? safeNames(listed.stdout) : [];
    problems = checkVars(vars, secrets);
  }
  const database = checkDatabase(config.d1_databases);
  problems.push(...database);
  if (database.length === 0) problems.push(...checkMigrations(readMigrationList(run(["d1", "migrations", "list", "DB", "--remote", ...target]))));

  if (problems.length > 0) {
    printError("npm run deploy: refused, nothing was deployed:");
    for (const p of problems) printError(`  ${p.variable} ${p.message}`);
    printError("See README.md, \"Deploying to Cloudflare\".");
    return 1;
  }
  const shipped = run(["deploy", ...argv], { inherit: true });
  if (shipped.status !== 0) return shipped.status ?? 1;
  print(`\nGatehouse is live. Give MCP clients this URL: ${clientUrl(vars.PUBLIC_URL)}`);
  for (const line of callbackUrls(vars)) print(line);
  return 0;
}

/** The redirect URL(s) to register at the identity provider(s): `/callback`, or `/callback/<name>` for each of several. */
export function callbackUrls(vars) {
  const origin = new URL(vars.PUBLIC_URL).origin;
  const names = [...(vars.UPSTREAM_ISSUER ? ["default"] : []), ...safeNames(vars.UPSTREAMS ?? "[]")];
  if (names.length <= 1) return [`Your identity provider's redirect (callback) URL: ${origin}/callback`];
  return names.map((name) => `The redirect (callback) URL to register at ${name}: ${origin}/callback/${name}`);
}

function safeNames(json) {
  try {
    const list = JSON.parse(json);
    return Array.isArray(list) ? list.map((s) => s?.name).filter((n) => typeof n === "string") : [];
  } catch {
    return [];
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) process.exit(deploy(process.argv.slice(2)));
