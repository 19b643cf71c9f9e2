// CPU time of a `wrangler dev` (issue 17): user + system time from /proc/<pid>/stat of every process in its group,
// split by role. A local `wrangler dev` runs two workerd processes: the one with the inspector runs the Worker (its
// isolates, Durable Objects, D1 and the outbound fetch), the other is wrangler's own proxy in front of it (the port
// clients reach); the Node process is wrangler itself. CPU per operation is what survives a busy machine: throughput
// moves with whatever else runs, the work one request costs does not.
import { existsSync, readdirSync, readFileSync } from "node:fs";

/** Clock ticks per second of /proc's times (USER_HZ; 100 on Linux, which fixes it for user space). */
const TICKS_PER_SECOND = 100;

/** Milliseconds of CPU (user + system) each role of one `wrangler dev` has spent so far. */
export interface CpuTimes {
  /** The workerd that runs the Worker under test. */
  worker: number;
  /** wrangler dev's own workerd proxy in front of it. */
  proxy: number;
  /** wrangler's Node process (and esbuild). */
  wrangler: number;
}

export type Role = keyof CpuTimes;
export const ROLES: Role[] = ["worker", "proxy", "wrangler"];

export const ZERO: CpuTimes = { worker: 0, proxy: 0, wrangler: 0 };

/** Whether /proc is there to read (Linux); elsewhere every figure is `undefined`. */
export const cpuMeasurable = existsSync("/proc/self/stat");

/** The role of the process with this command line. */
function roleOf(cmdline: string): Role {
  if (!/(^|\/)workerd\0/.test(cmdline)) return "wrangler";
  return cmdline.includes("--inspector-addr") ? "worker" : "proxy";
}

/** The CPU each role of the process group `pgid` has used; `undefined` where /proc is not readable. */
export function groupCpu(pgid: number): CpuTimes | undefined {
  if (!cpuMeasurable) return undefined;
  const times = { ...ZERO };
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      // After "(comm) ": state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime …
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(fields[2]) !== pgid) continue;
      const ticks = Number(fields[11]) + Number(fields[12]);
      times[roleOf(readFileSync(`/proc/${entry}/cmdline`, "utf8"))] += (ticks * 1000) / TICKS_PER_SECOND;
    } catch {
      // The process ended between the listing and the read.
    }
  }
  return times;
}

/** The CPU (user + system, ms) one process has used; `undefined` once it is gone or where /proc is not readable. */
export function processCpu(pid: number): number | undefined {
  if (!cpuMeasurable) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

/** Where a round's CPU is read: a `wrangler dev`'s process group, or one plain process (the bench's origin). */
export type CpuSource = { pgid: number } | { pid: number };

/** The CPU `source` has used so far, by role; a plain process counts as the `worker` role. */
export function readCpu(source: CpuSource): CpuTimes | undefined {
  if ("pgid" in source) return groupCpu(source.pgid);
  const ms = processCpu(source.pid);
  return ms === undefined ? undefined : { ...ZERO, worker: ms };
}

/** CPU of this process (the load generator, and the bench's own origin when it runs here), in ms. */
export function ownCpu(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

export function cpuDelta(after: CpuTimes, before: CpuTimes): CpuTimes {
  return { worker: after.worker - before.worker, proxy: after.proxy - before.proxy, wrangler: after.wrangler - before.wrangler };
}
