// Writes nothing waits on, from the requests of one isolate, in as few D1 batches as the load allows (group commit).
// A request that finishes while others are under way waits up to GROUP_WINDOW_MS for theirs; whichever flushes first
// takes every group waiting, and the last request under way flushes at once, so an idle server still writes as soon
// as it answers. One transaction for many requests spends less of D1's single writer than one each. No request
// awaits another's promise (workerd ties a promise to the request that made it): one whose group another request
// took is done, and the taker's own `waitUntil` carries the write.

/** How long a finished request's writes wait for those of the requests still under way, in milliseconds. */
export const GROUP_WINDOW_MS = 50;

/** Statements in one batch at most: a burst is written in several batches, never one without bound. */
export const GROUP_MAX_STATEMENTS = 100;

/** One request's writes, stored together or not at all. */
export interface WriteGroup {
  statements: D1PreparedStatement[];
  /** Told why the group was not written; never throws. */
  failed(err: unknown): void;
}

interface Waiting extends WriteGroup {
  taken: boolean;
}

const queues = new WeakMap<D1Database, Waiting[]>();

/**
 * Writes `group` to `db` with every group waiting there: now, or when `othersUnderWay`, once the window has passed
 * (unless a request flushing before then took it). Never rejects.
 */
export async function commitGroup(db: D1Database, group: WriteGroup, othersUnderWay: boolean): Promise<void> {
  const waiting: Waiting = { ...group, taken: false };
  queueOf(db).push(waiting);
  if (othersUnderWay) await new Promise((resolve) => setTimeout(resolve, GROUP_WINDOW_MS));
  const queue = queueOf(db);
  if (!waiting.taken) await writeGroups(db, queue.splice(0, queue.indexOf(waiting) + 1));
}

/** Writes every group waiting for `db`; `undefined` when none waits. Never rejects. */
export function flushWaiting(db: D1Database): Promise<void> | undefined {
  const queue = queueOf(db);
  return queue.length === 0 ? undefined : writeGroups(db, queue.splice(0));
}

function queueOf(db: D1Database): Waiting[] {
  let queue = queues.get(db);
  if (!queue) queues.set(db, (queue = []));
  return queue;
}

async function writeGroups(db: D1Database, groups: Waiting[]): Promise<void> {
  for (const group of groups) group.taken = true;
  for (const batch of batches(groups)) await writeBatch(db, batch);
}

/** `groups` in order, cut into batches of at most GROUP_MAX_STATEMENTS (a larger group alone in its own). */
function batches(groups: Waiting[]): Waiting[][] {
  const out: Waiting[][] = [];
  let size = Infinity;
  for (const group of groups) {
    if (size + group.statements.length > GROUP_MAX_STATEMENTS) {
      out.push([]);
      size = 0;
    }
    out[out.length - 1]?.push(group);
    size += group.statements.length;
  }
  return out;
}

async function writeBatch(db: D1Database, groups: Waiting[]): Promise<void> {
  try {
    await db.batch(groups.flatMap((g) => g.statements));
  } catch (err) {
    if (groups.length === 1) return groups[0]?.failed(err);
    // One group's failing statement must not take the others down with it: each is tried again alone.
    await Promise.all(groups.map((g) => db.batch(g.statements).then(() => undefined, (e: unknown) => g.failed(e))));
  }
}
