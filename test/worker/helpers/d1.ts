// A D1 binding whose statements a test can watch or change (count lookups, delay or fail one write), for worker
// tests that call `worker.fetch` with another environment. Everything else goes to the real database.
import type { Env } from "../../../src/env";

/** `target` with its D1 `prepare(sql)` passed through `intercept`, which returns the statement to use. */
export function interceptD1(target: Env, intercept: (sql: string, statement: D1PreparedStatement) => D1PreparedStatement): Env {
  const db = new Proxy(target.DB, {
    get(real, property) {
      if (property === "prepare") return (sql: string) => intercept(sql, real.prepare(sql));
      const value = Reflect.get(real, property) as unknown;
      return typeof value === "function" ? value.bind(real) : value;
    },
  });
  return { ...target, DB: db };
}

/** A statement whose bound `run()` goes through `run`, given the real one (to delay it, or fail instead). */
export function onRun(statement: D1PreparedStatement, run: (real: () => Promise<D1Result>) => Promise<D1Result>): D1PreparedStatement {
  return new Proxy(statement, {
    get(real, property) {
      if (property === "bind") return (...values: unknown[]) => onRun(real.bind(...values), run);
      if (property === "run") return () => run(() => real.run());
      const value = Reflect.get(real, property) as unknown;
      return typeof value === "function" ? value.bind(real) : value;
    },
  });
}
