// Finds the processes a test run left alive. The runner puts `GATEHOUSE_TEST_RUN=<id>` in the environment of what it
// starts; every descendant inherits it (wrangler passes its environment on to workerd), and it stays in
// /proc/<pid>/environ after the process is orphaned, when the parent chain no longer leads back to the runner.
import { readdirSync, readFileSync } from "node:fs";

export const RUN_MARKER = "GATEHOUSE_TEST_RUN";

/** The live processes (pid and command line) whose environment carries `GATEHOUSE_TEST_RUN=<runId>`. */
export function leftoverProcesses(runId) {
  const marker = `${RUN_MARKER}=${runId}`;
  const found = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (!readFileSync(`/proc/${entry}/environ`, "utf8").split("\0").includes(marker)) continue;
      const state = /^\d+ \(.*\) (\S)/s.exec(readFileSync(`/proc/${entry}/stat`, "utf8"))?.[1];
      // A zombie has exited already; only its parent's wait is missing.
      if (state === "Z") continue;
      found.push({ pid: Number(entry), command: readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0").join(" ").trim() });
    } catch {
      // Gone between readdir and read, or not ours to read.
    }
  }
  return found;
}

/** Kills `processes` (SIGKILL) so a failed run does not leave them spinning; returns nothing. */
export function killProcesses(processes) {
  for (const { pid } of processes) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {}
  }
}
