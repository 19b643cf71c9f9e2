// Runs every vitest project and prints the closing line CI reads: "N passed, N failed" (from vitest's JSON report).
// Then checks that nothing the run started is still alive (issue 13 item 6): a leftover process fails the run.
import { spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdirSync, readFileSync } from "node:fs";
import { RUN_MARKER, killProcesses, leftoverProcesses } from "./leftover-processes.mjs";

mkdirSync(".vitest", { recursive: true });
const report = ".vitest/report.json";
const runId = randomUUID();
const env = { ...process.env, WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_HIDE_BANNER: "true", [RUN_MARKER]: runId };
const run = spawnSync("npx", ["vitest", "run", "--reporter=default", "--reporter=json", `--outputFile.json=${report}`, ...process.argv.slice(2)], { stdio: "inherit", env });

let passed = 0;
let failed = 0;
try {
  const json = JSON.parse(readFileSync(report, "utf8"));
  passed = json.numPassedTests;
  failed = json.numFailedTests + (json.testResults ?? []).filter((f) => f.status === "failed" && f.assertionResults.length === 0).length;
} catch {
  failed = 1;
}
if (run.status !== 0 && failed === 0) failed = 1;

// A process stopped by SIGTERM at the end of a file may take a moment to exit: look again before calling it left over.
let leftovers = leftoverProcesses(runId);
for (let i = 0; i < 20 && leftovers.length > 0; i++) {
  await new Promise((r) => setTimeout(r, 250));
  leftovers = leftoverProcesses(runId);
}
if (leftovers.length > 0) {
  console.error(`The test run left ${leftovers.length} process(es) running; a test did not stop what it started (now killed):`);
  for (const { pid, command } of leftovers) console.error(`  pid ${pid}: ${command.slice(0, 200)}`);
  killProcesses(leftovers);
  failed += 1;
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 && run.status === 0 ? 0 : 1);
