// The Grant object's sealed storage: the upstream token vault (one row per provider) and the pending upstream leg's
// secrets. Values are sealed with AES-256-GCM under the key the caller passes in, bound to the grant and provider.
import { openText, type SealingKey, sealText } from "../crypto";
import type { SsoContext } from "./grant-state";
import { type AheadEntryState, refreshAheadAt } from "../policy/upstream-token";
import { type LinkedProvider, type RemovedUpstream, type UpstreamAccessToken, type UpstreamTokens, VAULT_SCHEMA, type VaultDeposit, type VaultRow } from "./vault-state";

/** `revoke_reason` of a grant whose provider refused its refresh token for good (the event's `detail.reason`). */
export const UPSTREAM_REVOKED = "upstream_revoked";
/** How often `upstreamToken` records an entry's use (`used_at`): the alarm's 24-hour window needs no finer grain. */
export const USE_NOTE_INTERVAL_MS = 3_600_000;

/** Version prefix of a vault entry: `gh1v.<key id>.<iv>.<ciphertext>`. */
const ENTRY_PREFIX = "gh1v";
/** Version prefix of a sealed pending leg (nonce, PKCE verifier): `gh1l.<key id>.<iv>.<ciphertext>`. */
const LEG_PREFIX = "gh1l";

/** What a sealed pending leg holds: the upstream nonce and PKCE verifier, the callback URL, the SSO context. */
export interface UpstreamLegRow {
  nonce: string;
  codeVerifier: string;
  redirectUri: string;
  sso?: SsoContext;
  /** A linked provider's leg (chained logins): the providers still to connect after it. */
  links?: string[];
}

/** What an entry's ciphertext holds: the tokens and the client they were issued to (authenticated with them). */
interface EntrySecret {
  clientId: string;
  tokens: UpstreamTokens;
}

/** Seals `deposit` for the vault of grant `grantId`. */
export function sealEntry(key: SealingKey, grantId: string, deposit: VaultDeposit): Promise<string> {
  const secret: EntrySecret = { clientId: deposit.clientId, tokens: deposit.tokens };
  return seal(ENTRY_PREFIX, key, grantId, deposit.provider, JSON.stringify(secret));
}

/** Opens a vault entry; `undefined` when sealed under another key, for another grant or provider, or altered. */
export async function openEntry(key: SealingKey, grantId: string, provider: string, sealed: string): Promise<EntrySecret | undefined> {
  const text = await open(ENTRY_PREFIX, key, grantId, provider, sealed);
  return text === undefined ? undefined : (JSON.parse(text) as EntrySecret);
}

/** Seals a pending upstream leg (its nonce, PKCE verifier and context) for `provider`'s login into grant `grantId`. */
export function sealLeg(key: SealingKey, grantId: string, provider: string, leg: object): Promise<string> {
  return seal(LEG_PREFIX, key, grantId, provider, JSON.stringify(leg));
}

/** Opens a sealed pending leg; `undefined` as `openEntry`. */
export async function openLeg<T>(key: SealingKey, grantId: string, provider: string, sealed: string): Promise<T | undefined> {
  const text = await open(LEG_PREFIX, key, grantId, provider, sealed);
  return text === undefined ? undefined : (JSON.parse(text) as T);
}

async function seal(prefix: string, key: SealingKey, grantId: string, provider: string, plaintext: string): Promise<string> {
  return `${prefix}.${key.id}.${await sealText(key, aad(prefix, key.id, grantId, provider), plaintext)}`;
}

async function open(prefix: string, key: SealingKey, grantId: string, provider: string, sealed: string): Promise<string | undefined> {
  const [valuePrefix, keyId, ...rest] = sealed.split(".");
  if (valuePrefix !== prefix || keyId !== key.id) return undefined;
  return openText(key, aad(prefix, key.id, grantId, provider), rest.join("."));
}

/** Binds a sealed value to its format, key, grant and provider: moved anywhere else, it cannot be opened. */
function aad(prefix: string, keyId: string, grantId: string, provider: string): string {
  return `${prefix}.${keyId}.${grantId}.${provider}`;
}

/** The vault's rows: synchronous SQL only, so the Grant's transitions can use it inside `transactionSync`. */
export class VaultStore {
  readonly #sql: SqlStorage;

  constructor(sql: SqlStorage) {
    this.#sql = sql;
  }

  /** Creates the table (objects begun before the vault existed get it on first use). */
  ensure(): void {
    this.#sql.exec(VAULT_SCHEMA);
  }

  read(provider: string): VaultRow | undefined {
    if (!this.#exists()) return undefined;
    return this.#sql.exec<VaultRow>("SELECT * FROM upstream_vault WHERE provider = ?", provider).toArray()[0];
  }

  rows(): VaultRow[] {
    if (!this.#exists()) return [];
    return this.#sql.exec<VaultRow>("SELECT * FROM upstream_vault ORDER BY linked_at, provider").toArray();
  }

  /** Adds or replaces the entry for `deposit.provider`, already sealed as `sealed`. */
  put(deposit: VaultDeposit, sealed: string, now: number): void {
    this.ensure();
    const { tokens } = deposit;
    this.#sql.exec(
      `INSERT INTO upstream_vault (provider, sealed, client_id, scope, token_type, expires_at, refreshable, linked_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (provider) DO UPDATE SET sealed = excluded.sealed, client_id = excluded.client_id, scope = excluded.scope,
         token_type = excluded.token_type, expires_at = excluded.expires_at, refreshable = excluded.refreshable,
         linked_at = excluded.linked_at, refreshed_at = NULL, ahead_tried_at = NULL`,
      deposit.provider,
      sealed,
      deposit.clientId,
      tokens.scope ?? null,
      tokens.tokenType ?? "bearer",
      tokens.expiresAt ?? null,
      tokens.refreshToken ? 1 : 0,
      now,
    );
  }

  /** Replaces an entry's tokens after a refresh, keeping when it was linked. */
  refreshed(provider: string, tokens: UpstreamTokens, sealed: string, now: number): void {
    this.#sql.exec(
      `UPDATE upstream_vault SET sealed = ?, scope = COALESCE(?, scope), token_type = ?, expires_at = ?, refreshable = ?, refreshed_at = ?,
         ahead_tried_at = NULL WHERE provider = ?`,
      sealed,
      tokens.scope ?? null,
      tokens.tokenType ?? "bearer",
      tokens.expiresAt ?? null,
      tokens.refreshToken ? 1 : 0,
      now,
      provider,
    );
  }

  /** Notes the alarm's attempt to refresh `provider` ahead of expiry (the next waits AHEAD_RETRY_MS). */
  aheadTried(provider: string, now: number): void {
    this.#sql.exec("UPDATE upstream_vault SET ahead_tried_at = ? WHERE provider = ?", now, provider);
  }

  /** Where the alarm asks the Worker for a proactive refresh (`UpstreamTokenInput.refreshAheadUrl`). */
  refreshAheadUrl(): string | undefined {
    if (!this.#exists()) return undefined;
    return this.#sql.exec<{ refresh_ahead_url: string | null }>("SELECT refresh_ahead_url FROM vault_settings").toArray()[0]?.refresh_ahead_url ?? undefined;
  }

  setRefreshAheadUrl(url: string): void {
    this.ensure();
    this.#sql.exec("INSERT INTO vault_settings (singleton, refresh_ahead_url) VALUES (1, ?) ON CONFLICT (singleton) DO UPDATE SET refresh_ahead_url = excluded.refresh_ahead_url", url);
  }

  /** Notes that a tool or origin asked for the entry's token (proactive refresh keeps recently used entries warm). */
  used(provider: string, now: number): void {
    this.#sql.exec("UPDATE upstream_vault SET used_at = ? WHERE provider = ?", now, provider);
  }

  remove(provider: string): boolean {
    if (!this.#exists()) return false;
    return this.#sql.exec("DELETE FROM upstream_vault WHERE provider = ?", provider).rowsWritten > 0;
  }

  clear(): void {
    if (this.#exists()) this.#sql.exec("DELETE FROM upstream_vault");
  }

  /** When the alarm should next refresh some entry ahead of expiry (src/policy/upstream-token.ts), if ever. */
  nextAhead(): number | undefined {
    const times = this.rows().flatMap((r) => refreshAheadAt(aheadState(r)) ?? []);
    return times.length === 0 ? undefined : Math.min(...times);
  }

  /** The entries due for a proactive refresh at `now`. */
  dueAhead(now: number): VaultRow[] {
    return this.rows().filter((r) => (refreshAheadAt(aheadState(r)) ?? Infinity) <= now);
  }

  #exists(): boolean {
    return this.#sql.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'upstream_vault'").toArray().length > 0;
  }
}

/** A row as listed: never the sealed value. */
export function listed(row: VaultRow): LinkedProvider {
  return {
    provider: row.provider,
    clientId: row.client_id,
    scope: row.scope,
    tokenType: row.token_type,
    expiresAt: row.expires_at,
    linkedAt: row.linked_at,
    refreshedAt: row.refreshed_at,
    refreshable: row.refreshable === 1,
  };
}

function aheadState(row: VaultRow): AheadEntryState {
  return { expiresAt: row.expires_at, refreshable: row.refreshable === 1, issuedAt: row.refreshed_at ?? row.linked_at, usedAt: row.used_at, aheadTriedAt: row.ahead_tried_at };
}

/** Seals each deposit for grant `grantId` (before a transition's transaction: sealing awaits WebCrypto). */
export function sealAll(key: SealingKey, grantId: string, deposits: VaultDeposit[]): Promise<[VaultDeposit, string][]> {
  return Promise.all(deposits.map(async (d): Promise<[VaultDeposit, string]> => [d, await sealEntry(key, grantId, d)]));
}

/** Opens vault rows; rows this key cannot open (sealed under a retired key) are left out. */
export async function openAll(key: SealingKey, grantId: string, rows: VaultRow[]): Promise<RemovedUpstream[]> {
  const opened = await Promise.all(rows.map(async (r) => ({ r, secret: await openEntry(key, grantId, r.provider, r.sealed) })));
  return opened.flatMap(({ r, secret }) => (secret ? [{ provider: r.provider, clientId: secret.clientId, tokens: secret.tokens }] : []));
}

/** What a tool or origin is handed: the entry's public fields and the access token. */
export function accessToken(entry: VaultRow, token: string, refreshed: boolean): UpstreamAccessToken {
  return { provider: entry.provider, accessToken: token, tokenType: entry.token_type, scope: entry.scope, expiresAt: entry.expires_at, refreshed };
}
