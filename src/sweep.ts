// The cron sweep: bounded, idempotent clean-up of expired D1 state. Grant objects expire themselves by alarm.
import type { Config } from "./config";
import type { Env } from "./env";
import { deleteExpiredGrantIndex } from "./db/grants";

/** Rows deleted per statement, so one run stays within a Worker's limits however much has piled up. */
const BATCH = 500;

/** Runs one sweep and logs a single summary line. */
export async function sweep(env: Env, _config: Config, nowMs: number): Promise<{ grants: number }> {
  const now = Math.floor(nowMs / 1000);
  const grants = await deleteExpiredGrantIndex(env.DB, now, BATCH);
  console.log(JSON.stringify({ event: "sweep.completed", grants }));
  return { grants };
}
