// KeyRing Durable Object: generates, persists and rotates ES256 signing keys. `current` signs, `next` is published
// a whole rotation period before it signs, `retired` stays published until every token it signed has expired.
import { DurableObject } from "cloudflare:workers";
import { exportJWK, generateKeyPair } from "jose";
import { randomSecret } from "../crypto";
import { type PrivateSigningKey, type PublicSigningKey, toPublicKey, toSigningKey } from "../lib/jwk";

/** How long an isolate trusts its copy of a ring's keys (src/tokens/key-cache.ts). */
export const KEY_CACHE_MS = 5 * 60_000;
/**
 * The longest an access token lives: a CLIENT_POLICIES lifetime (src/config/client-policies.ts, 30 days; ACCESS_TOKEN_TTL
 * is at most 1 day), so rotating the key never strands a token already issued, whatever its policy.
 */
const MAX_TOKEN_TTL_MS = 30 * 86_400_000;
/** Verifiers accept `exp` this late (src/tokens/access-token.ts). */
const CLOCK_LEEWAY_MS = 60_000;
/**
 * How long a retired key stays published: an isolate may keep signing with its cached copy for KEY_CACHE_MS
 * after rotation, and each such token lives for at most the TTL plus the verifiers' leeway.
 */
export const RETIRED_KEY_LIFETIME_MS = KEY_CACHE_MS + MAX_TOKEN_TTL_MS + CLOCK_LEEWAY_MS;

const DAY_MS = 86_400_000;
/** KEY_ROTATION_DAYS' default (src/config/tokens.ts): the period of a ring that has not been told its own. */
const DEFAULT_ROTATION_DAYS = 30;

/** How the ring rotates, from KEY_ROTATION_DAYS; passed by every caller, kept for the alarm, which has no caller. */
export interface KeyRingSettings {
  rotationDays: number;
}

type KeyState = "current" | "next" | "retired";

interface KeyRow extends Record<string, SqlStorageValue> {
  kid: string;
  state: KeyState;
  jwk: string;
  activated_at: number | null;
  retired_at: number | null;
}

/** Result of `rotate()`: the key ids in each state afterwards. */
export interface KeyRingState {
  current: string;
  next: string;
  retired: string[];
}

/** One instance per signing purpose (`idFromName("signing")` for access tokens); instances share nothing. */
export class KeyRing extends DurableObject<unknown> {
  #sql: SqlStorage;

  constructor(ctx: DurableObjectState, env: unknown) {
    super(ctx, env);
    this.#sql = ctx.storage.sql;
    this.#sql.exec(`CREATE TABLE IF NOT EXISTS keys (
      kid TEXT PRIMARY KEY,
      state TEXT NOT NULL CHECK (state IN ('current', 'next', 'retired')),
      jwk TEXT NOT NULL,
      created_at INTEGER NOT NULL,
      activated_at INTEGER,
      retired_at INTEGER
    )`);
    this.#sql.exec("CREATE TABLE IF NOT EXISTS settings (id INTEGER PRIMARY KEY CHECK (id = 1), rotation_days INTEGER NOT NULL)");
  }

  /** The key that signs now, with its private part. */
  async getSigningKey(settings?: KeyRingSettings): Promise<{ kid: string; privateJwk: PrivateSigningKey }> {
    await this.#ensureKeys(settings);
    const current = this.#key("current");
    if (!current) throw new Error("key ring has no current key");
    return { kid: current.kid, privateJwk: JSON.parse(current.jwk) as PrivateSigningKey };
  }

  /** Every key a verifier may meet: current, next, and retired keys still within their lifetime. @see RFC 7517 §5 */
  async getPublicKeys(settings?: KeyRingSettings): Promise<PublicSigningKey[]> {
    await this.#ensureKeys(settings);
    const cutoff = Date.now() - RETIRED_KEY_LIFETIME_MS;
    return this.#sql
      .exec<KeyRow>(
        `SELECT * FROM keys WHERE state != 'retired' OR retired_at > ?
         ORDER BY CASE state WHEN 'current' THEN 0 WHEN 'next' THEN 1 ELSE 2 END, retired_at DESC`,
        cutoff,
      )
      .toArray()
      .map((row) => toPublicKey(JSON.parse(row.jwk) as PrivateSigningKey));
  }

  /** Rotates now: current → retired, next → current, a fresh key becomes next (admin, tests, and the alarm). */
  async rotate(settings?: KeyRingSettings): Promise<KeyRingState> {
    await this.#ensureKeys(settings);
    const fresh = await newKey();
    this.ctx.storage.transactionSync(() => this.#advance(fresh, Date.now()));
    await this.#schedule();
    return this.#state();
  }

  /** Rotates when the current key has signed for a full period, drops retired keys past their lifetime, re-arms. */
  override async alarm(): Promise<void> {
    await this.#ensureKeys();
    if (this.#rotationDue(Date.now())) {
      const fresh = await newKey();
      // Checked again: a `rotate()` may have run while the key was generated.
      this.ctx.storage.transactionSync(() => {
        if (this.#rotationDue(Date.now())) this.#advance(fresh, Date.now());
      });
    }
    this.#sql.exec("DELETE FROM keys WHERE state = 'retired' AND retired_at <= ?", Date.now() - RETIRED_KEY_LIFETIME_MS);
    await this.#schedule();
  }

  /**
   * Keeps a changed rotation period (re-arming the alarm for it) and creates the current and next keys on first use.
   * Keys are generated before the transaction, which re-checks.
   */
  async #ensureKeys(settings?: KeyRingSettings): Promise<void> {
    const changed = settings !== undefined && settings.rotationDays !== this.#rotationDays();
    if (changed) this.#sql.exec("INSERT OR REPLACE INTO settings (id, rotation_days) VALUES (1, ?)", settings.rotationDays);
    if (this.#key("current") && this.#key("next")) {
      if (changed) await this.#schedule();
      return;
    }
    const [first, second] = await Promise.all([newKey(), newKey()]);
    const now = Date.now();
    this.ctx.storage.transactionSync(() => {
      if (!this.#key("current")) this.#insert(first, "current", now);
      if (!this.#key("next")) this.#insert(second, "next", now);
    });
    await this.#schedule();
  }

  #advance(fresh: PrivateSigningKey, now: number): void {
    this.#sql.exec("UPDATE keys SET state = 'retired', retired_at = ? WHERE state = 'current'", now);
    this.#sql.exec("UPDATE keys SET state = 'current', activated_at = ? WHERE state = 'next'", now);
    this.#insert(fresh, "next", now);
  }

  #insert(key: PrivateSigningKey, state: KeyState, now: number): void {
    this.#sql.exec(
      "INSERT INTO keys (kid, state, jwk, created_at, activated_at) VALUES (?, ?, ?, ?, ?)",
      key.kid,
      state,
      JSON.stringify(key),
      now,
      state === "current" ? now : null,
    );
  }

  #key(state: "current" | "next"): KeyRow | undefined {
    return this.#sql.exec<KeyRow>("SELECT * FROM keys WHERE state = ?", state).toArray()[0];
  }

  #rotationDue(now: number): boolean {
    const activatedAt = this.#key("current")?.activated_at;
    return activatedAt != null && activatedAt + this.#rotationInterval() <= now;
  }

  #rotationDays(): number {
    return this.#sql.exec<{ rotation_days: number }>("SELECT rotation_days FROM settings WHERE id = 1").toArray()[0]?.rotation_days ?? DEFAULT_ROTATION_DAYS;
  }

  #rotationInterval(): number {
    return this.#rotationDays() * DAY_MS;
  }

  /** The alarm fires at the next rotation or the next retired key's end of life, whichever is first. */
  async #schedule(): Promise<void> {
    const activatedAt = this.#key("current")?.activated_at ?? Date.now();
    const oldestRetired = this.#sql.exec<{ at: number | null }>("SELECT MIN(retired_at) AS at FROM keys WHERE state = 'retired'").one().at;
    const due = [activatedAt + this.#rotationInterval()];
    if (oldestRetired != null) due.push(oldestRetired + RETIRED_KEY_LIFETIME_MS);
    await this.ctx.storage.setAlarm(Math.min(...due));
  }

  #state(): KeyRingState {
    const rows = this.#sql.exec<KeyRow>("SELECT * FROM keys ORDER BY retired_at DESC").toArray();
    const kid = (state: KeyState) => rows.filter((r) => r.state === state).map((r) => r.kid);
    const [current] = kid("current");
    const [next] = kid("next");
    if (!current || !next) throw new Error("key ring is incomplete");
    return { current, next, retired: kid("retired") };
  }

  /**
   * A 256-bit AES key (base64url) for sealing upstream tokens (src/tokens/seal.ts) when UPSTREAM_TOKEN_KEY is not
   * set; used on the instance named "sealing". Created once, never rotated; the check-and-insert is one statement.
   */
  async getSealingKey(): Promise<string> {
    this.#sql.exec("CREATE TABLE IF NOT EXISTS sealing_key (id INTEGER PRIMARY KEY CHECK (id = 1), key TEXT NOT NULL, created_at INTEGER NOT NULL)");
    this.#sql.exec("INSERT OR IGNORE INTO sealing_key (id, key, created_at) VALUES (1, ?, ?)", randomSecret(32), Date.now());
    return this.#sql.exec<{ key: string }>("SELECT key FROM sealing_key WHERE id = 1").one().key;
  }
}

async function newKey(): Promise<PrivateSigningKey> {
  const { privateKey } = await generateKeyPair("ES256", { extractable: true });
  return toSigningKey(await exportJWK(privateKey));
}
