// Generates worker-configuration.d.ts from wrangler.jsonc (`npm run types`), or with --check fails when it is stale
// (`npm run typecheck`). Variables are typed as plain strings: src/config/index.ts parses them, and any may be unset.
import { spawnSync } from "node:child_process";

const check = process.argv.includes("--check");
const env = { ...process.env, WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_HIDE_BANNER: "true" };
const run = spawnSync("npx", ["wrangler", "types", "--strict-vars=false", ...(check ? ["--check"] : [])], { stdio: check ? "pipe" : "inherit", env, encoding: "utf8" });
if (check && run.status !== 0) {
  console.error("worker-configuration.d.ts does not match wrangler.jsonc and this wrangler: run `npm run types` and commit the result.");
  if (run.stderr && !/out of date/.test(run.stderr)) console.error(run.stderr);
}
process.exit(run.status ?? 1);
