// Generates worker-configuration.d.ts from wrangler.jsonc (`npm run types`), for Gatehouse and for the example Worker
// (which takes the runtime's types from @cloudflare/workers-types), or with --check fails when one is stale
// (`npm run typecheck`). Variables are typed as plain strings: src/config/index.ts parses them, and any may be unset.
import { spawnSync } from "node:child_process";

const check = process.argv.includes("--check");
const env = { ...process.env, WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_HIDE_BANNER: "true" };
const workers = [
  { cwd: ".", flags: [] },
  { cwd: "examples/own-tools", flags: ["--include-runtime=false"] },
];
let status = 0;
for (const { cwd, flags } of workers) {
  const run = spawnSync("npx", ["wrangler", "types", "--strict-vars=false", ...flags, ...(check ? ["--check"] : [])], { cwd, stdio: check ? "pipe" : "inherit", env, encoding: "utf8" });
  if (check && run.status !== 0) {
    console.error(`${cwd}/worker-configuration.d.ts does not match its wrangler.jsonc and this wrangler: run \`npm run types\` and commit the result.`);
    if (run.stderr && !/out of date/.test(run.stderr)) console.error(run.stderr);
  }
  status ||= run.status ?? 1;
}
process.exit(status);
