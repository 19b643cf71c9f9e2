// A D1 binding whose statements a test can watch or change (count lookups, delay or fail one write), for worker
// tests that call `worker.fetch` with another environment. Everything else goes to the real database.
import type { Env } from "../../../src/env";

/** `target` with its D1 `prepare(sql)` passed through `intercept`, which returns the statement to use, and each batch shown to `onBatch`. */
export function interceptD1(target: Env, intercept: (sql: string, statement: D1PreparedStatement) => D1PreparedStatement, onBatch?: (statements: D1PreparedStatement[]) => void): Env {
  const db = new Proxy(target.DB, {
    get(real, property) {
      if (property === "prepare") return (sql: string) => intercept(sql, real.prepare(sql));
      // A batch holding a statement given to `onRun` goes through that statement's hook as a whole.
      if (property === "batch") {
        return (statements: D1PreparedStatement[]) => {
          onBatch?.(statements);
          const hook = statements.map((s) => runHooks.get(s)).find((h) => h !== undefined);
          const batch = () => real.batch(statements);
          return hook ? (hook(batch as unknown as () => Promise<D1Result>) as unknown as ReturnType<typeof batch>) : batch();
        };
      }
      const value = Reflect.get(real, property) as unknown;
      return typeof value === "function" ? value.bind(real) : value;
    },
  });
  return { ...target, DB: db };
}

type RunHook = (real: () => Promise<D1Result>) => Promise<D1Result>;
const runHooks = new WeakMap<D1PreparedStatement, RunHook>();

/** A statement whose bound `run()` (or the batch it is in) goes through `run`, given the real one (to delay it, or fail instead). */
export function onRun(statement: D1PreparedStatement, run: RunHook): D1PreparedStatement {
  const hooked = new Proxy(statement, {
    get(real, property) {
      if (property === "bind") return (...values: unknown[]) => onRun(real.bind(...values), run);
      if (property === "run") return () => run(() => real.run());
      const value = Reflect.get(real, property) as unknown;
      return typeof value === "function" ? value.bind(real) : value;
    },
  });
  runHooks.set(hooked, run);
  return hooked;
}

/** `target` with each D1 round trip noted in `trips`: `batch:<statements>`, or the statement's method (`run`, `first`, …). */
export function countingD1(target: Env, trips: string[]): Env {
  const noted = (statement: D1PreparedStatement): D1PreparedStatement =>
    new Proxy(statement, {
      get(real, property) {
        if (property === "bind") return (...values: unknown[]) => noted(real.bind(...values));
        const value = Reflect.get(real, property) as unknown;
        if (typeof value !== "function") return value;
        if (property === "run" || property === "first" || property === "all" || property === "raw") trips.push(property);
        return value.bind(real);
      },
    });
  return interceptD1(target, (_sql, statement) => noted(statement), (statements) => trips.push(`batch:${statements.length}`));
}
