// AssertionLedger Durable Object: remembers that an assertion's `jti` was spent, until the assertion expires, so each
// one is redeemed once worldwide. One object per (issuer, jti): the Worker names it by their hash, so every
// presentation of one assertion meets the same object, which serializes them.
import { DurableObject } from "cloudflare:workers";

/** What `spend` records; `expiresAt` (epoch ms) is when the assertion can no longer be presented anyway. */
export interface SpendInput {
  expiresAt: number;
}

export type SpendResult = { ok: true } | { ok: false; error: "replayed"; reason: string };

/**
 * A ledger of one spent assertion. Its state outlives the assertion's `exp` (plus leeway, in `expiresAt`) only until
 * the alarm erases it: a replay after that is refused by the assertion's own expiry.
 * @see https://www.rfc-editor.org/rfc/rfc7523#section-3 (the `jti` single-use rule)
 */
export class AssertionLedger extends DurableObject<unknown> {
  #sql: SqlStorage;

  constructor(ctx: DurableObjectState, env: unknown) {
    super(ctx, env);
    this.#sql = ctx.storage.sql;
  }

  /** Spends the assertion: the first call wins, every later one is refused. No `await` between check and write. */
  async spend(input: SpendInput): Promise<SpendResult> {
    const now = Date.now();
    const won = this.ctx.storage.transactionSync((): boolean => {
      this.#sql.exec("CREATE TABLE IF NOT EXISTS spent (singleton INTEGER PRIMARY KEY CHECK (singleton = 1), spent_at INTEGER NOT NULL, expires_at INTEGER NOT NULL)");
      if (this.#sql.exec("SELECT 1 FROM spent").toArray().length > 0) return false;
      this.#sql.exec("INSERT INTO spent (singleton, spent_at, expires_at) VALUES (1, ?, ?)", now, input.expiresAt);
      return true;
    });
    if (!won) return { ok: false, error: "replayed", reason: "assertion jti already spent" };
    await this.ctx.storage.setAlarm(Math.max(input.expiresAt, now + 1000));
    return { ok: true };
  }

  /** The assertion has expired: nothing is left to remember. */
  override async alarm(): Promise<void> {
    await this.ctx.storage.deleteAll();
  }
}
