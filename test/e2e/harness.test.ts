// Nothing outlives a test (issue 13 item 6): test/support/node/wrangler-dev.ts stops `wrangler dev` with its whole
// process group, also when a file's setup fails half-way, and the runner's leftover check
// (scripts/leftover-processes.mjs) sees what is still alive.
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { RUN_MARKER, killProcesses, leftoverProcesses } from "../../scripts/leftover-processes.mjs";
import { startGatehouse, stopStartedGatehouses } from "../support/node/wrangler-dev";

const PORT = 8911;
const find = leftoverProcesses;
const workerd = (found: ReturnType<typeof find>) => found.filter((p) => /workerd/.test(p.command));

describe("the e2e harness leaves no process behind", () => {
  const previous = process.env[RUN_MARKER];
  afterEach(() => {
    if (previous === undefined) delete process.env[RUN_MARKER];
    else process.env[RUN_MARKER] = previous;
  });

  /** Marks what the harness starts from now on with a fresh run id, as scripts/test.mjs marks a whole run. */
  function markRun(): string {
    const runId = randomUUID();
    process.env[RUN_MARKER] = runId;
    return runId;
  }

  it("stops wrangler dev and its workerd, the whole process group, and removes the state directory", async () => {
    const runId = markRun();
    const server = await startGatehouse(PORT);
    expect(workerd(find(runId)).length).toBeGreaterThan(0);
    await server.stop();
    expect(find(runId)).toEqual([]);
    expect(existsSync(server.state)).toBe(false);
  });

  it("stops a server whose file setup failed half-way, as a browser launch rejecting inside Promise.all does", async () => {
    const runId = markRun();
    await expect(Promise.all([startGatehouse(PORT), Promise.reject(new Error("no browser"))])).rejects.toThrow("no browser");
    // wrangler dev is starting and nothing holds its Gatehouse; test/e2e/setup.ts runs this after every file.
    expect(find(runId).length).toBeGreaterThan(0);
    await stopStartedGatehouses();
    expect(find(runId)).toEqual([]);
  });

  it("finds a live process carrying the run's marker, and no longer once it is killed", async () => {
    const runId = randomUUID();
    const child = spawn("sleep", ["60"], { env: { ...process.env, [RUN_MARKER]: runId }, stdio: "ignore" });
    const exited = new Promise((resolve) => child.once("exit", resolve));
    try {
      await new Promise((resolve) => child.once("spawn", resolve));
      // "spawn" fires once exec has closed the close-on-exec pipe, which the kernel does before it lays out the new
      // program's environment: for that moment /proc/<pid>/environ reads empty, so a loaded machine must wait for it.
      await expect.poll(() => find(runId), { timeout: 5_000 }).toEqual([{ pid: child.pid, command: "sleep 60" }]);
      expect(find(randomUUID())).toEqual([]);
      killProcesses(find(runId));
      await exited;
      expect(find(runId)).toEqual([]);
    } finally {
      child.kill("SIGKILL");
    }
  });
});
