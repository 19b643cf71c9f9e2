// `npm run bench:actors` (bench/actors.ts): a Durable Object class whose methods do what the Grant's do to storage
// and nothing else — no hashing, no sealing, no RPC payload — so that what remains is workerd's own cost of an object:
// creating it, calling it while it is in memory, and loading it again after workerd has let it go.
import { DurableObject } from "cloudflare:workers";
import { GRANT_SCHEMA } from "../../src/durable/grant-state";
import { VAULT_SCHEMA } from "../../src/durable/vault-state";

/** The methods bench/actors.ts calls, by the path `/<method>?n=<object name>`. */
const METHODS = ["touch", "begin", "rotate"] as const;

export class Probe extends DurableObject {
  /** Touches no storage. */
  async touch(): Promise<number> {
    return 1;
  }

  /** What `Grant.begin` stores: its schema, the grant's row, an alarm. */
  async begin(): Promise<number> {
    this.ctx.storage.transactionSync(() => {
      this.ctx.storage.sql.exec(GRANT_SCHEMA);
      this.ctx.storage.sql.exec(VAULT_SCHEMA);
      this.ctx.storage.sql.exec("INSERT INTO grant_state (singleton, status, request, provider, created_at, expires_at) VALUES (1, 'active', '{}', 'bench', ?, ?)", Date.now(), Date.now() + 600_000);
    });
    await this.ctx.storage.setAlarm(Date.now() + 600_000);
    return 1;
  }

  /** What `Grant.rotateRefresh` runs: the row and the token read, the token marked used, its successor stored. */
  async rotate(): Promise<number> {
    const hash = crypto.randomUUID();
    this.ctx.storage.transactionSync(() => {
      const sql = this.ctx.storage.sql;
      sql.exec("SELECT * FROM grant_state WHERE singleton = 1").toArray();
      sql.exec("SELECT * FROM refresh_tokens WHERE hash = ?", hash).toArray();
      sql.exec("INSERT INTO refresh_tokens (hash, issued_at) VALUES (?, ?)", hash, Date.now());
      sql.exec("UPDATE refresh_tokens SET rotated_at = ? WHERE hash = ?", Date.now(), hash);
      sql.exec("UPDATE grant_state SET expires_at = ? WHERE singleton = 1", Date.now() + 600_000);
    });
    return 1;
  }

  async alarm(): Promise<void> {}
}

interface Env {
  PROBE: DurableObjectNamespace<Probe>;
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url);
    const method = METHODS.find((m) => `/${m}` === url.pathname);
    const name = url.searchParams.get("n");
    // Anything else (the starter's /healthz too) touches no object: the baseline of a request.
    if (!method || !name) return new Response("ok");
    const stub = env.PROBE.get(env.PROBE.idFromName(name));
    return new Response(String(await stub[method]()));
  },
} satisfies ExportedHandler<Env>;
