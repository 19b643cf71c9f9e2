// Where one sign-in's CPU goes, step by step (scenario d3): sign-ins one at a time, the side's Worker's workerd CPU
// read from /proc around every browser request, and around the whole sign-in, so what is left over is the client's
// own requests (DCR and the token request). /proc counts in clock ticks (10 ms), so each step's figure is an average
// over many sign-ins, not one measurement; after each request the bench waits a moment, so work a Worker finishes
// after its response (`waitUntil`) is counted with the request that caused it.
import { HeadlessBrowser } from "../test/support/browser";
import { type CpuSource, readCpu } from "./cpu";
import { signInUpstream } from "./oauth-client";
import type { UpstreamLogin } from "./scenarios";
import type { Side } from "./scenarios";

/** The settle time after each request, for work finished after the response. */
const SETTLE_MS = 25;

export interface StepCpu {
  /** `GET /authorize` on the side; the upstream's pages are one line, `upstream (n requests)`. */
  step: string;
  /** The side's Worker's workerd CPU per sign-in, in ms. */
  cpuMs: number;
}

const workerCpu = (source: CpuSource) => readCpu(source)?.worker ?? Number.NaN;
const settle = () => new Promise((resolve) => setTimeout(resolve, SETTLE_MS));

/** `signIns` sign-ins on `side`, one at a time, and the CPU per sign-in of each of its steps. */
export async function stepBreakdown(side: Side, idp: UpstreamLogin, signIns: number): Promise<StepCpu[]> {
  const source = side.cpu;
  if (!source) return [];
  const own = new URL(side.base).port;
  const totals = new Map<string, number>();
  const add = (step: string, ms: number) => totals.set(step, (totals.get(step) ?? 0) + ms);
  let all = 0;
  for (let i = 0; i < signIns; i++) {
    const browser = new HeadlessBrowser(async (url, init) => {
      const target = new URL(url);
      const before = workerCpu(source);
      const response = await fetch(url, init);
      const body = await response.arrayBuffer();
      await settle();
      const step = target.port === own ? `${init.method ?? "GET"} ${target.pathname}` : "upstream's pages";
      add(step, workerCpu(source) - before);
      return new Response(body, { status: response.status, headers: response.headers });
    });
    const before = workerCpu(source);
    await signInUpstream(side.http, side.base, `${side.base}/mcp`, idp, browser);
    await settle();
    all += workerCpu(source) - before;
  }
  const browserSteps = [...totals.values()].reduce((sum, ms) => sum + ms, 0);
  const steps = [...totals.entries()].map(([step, ms]) => ({ step, cpuMs: ms / signIns }));
  steps.push({ step: "client: DCR + POST /token", cpuMs: (all - browserSteps) / signIns });
  steps.push({ step: "whole sign-in", cpuMs: all / signIns });
  return steps;
}
