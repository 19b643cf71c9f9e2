// Grant Durable Object: one per authorization of one client by one user, the only writer of its state. Each public
// method is one transition whose read-check-write runs synchronously (hashes are computed before it starts).
import { DurableObject } from "cloudflare:workers";
import { hmacSha256, randomSecret, sha256, timingSafeEqual } from "../crypto";
import type { GrantIdentity } from "../identity";
import type { AuthorizationParams } from "../policy/authorize-request";
import { decideRedemption, decideRotation, type RefreshPresentation, type Refusal } from "../policy/grant-rules";
import { decideUpstreamToken } from "../policy/upstream-token";
import {
  type BeginInput,
  CODE_TTL_MS,
  GRANT_SCHEMA,
  type GrantFailure,
  type GrantResult,
  type GrantRow,
  type IssuedGrant,
  type LendInput,
  type LoginInput,
  type NextLegInput,
  PENDING_TTL_MS,
  type PendingLogin,
  type RedemptionInput,
  type RefreshTokenInfo,
  type RefreshTokenRow,
  refuse,
  type SignedInBeginInput,
  type SignedInLogin,
  type TakeInput,
  TOMBSTONE_MS,
} from "./grant-state";
import { formatHandle } from "./handle";
import { accessToken, listed, type UpstreamLegRow, openAll, openEntry, openLeg, sealAll, sealEntry, sealLeg, UPSTREAM_REVOKED, USE_NOTE_INTERVAL_MS, VaultStore } from "./vault";
import type { LinkedProvider, RefreshAheadInput, RefreshOutcome, RemovedUpstream, UpstreamAccessToken, UpstreamTokenInput, VaultAccess, VaultDeposit, VaultRow } from "./vault-state";

/**
 * States and lifetimes: see src/durable/grant-state.ts and DESIGN.md "One Durable Object per grant". The object's
 * id (from `newUniqueId()` at approval) is the grant id carried in every handle (src/durable/handle.ts).
 */
export class Grant extends DurableObject<unknown> {
  #sql: SqlStorage;
  #vault: VaultStore;
  /** The upstream refresh in flight per provider: every caller meanwhile awaits this one instead of starting its own. */
  #refreshing = new Map<string, Promise<GrantResult<{ token: UpstreamAccessToken }>>>();
  /** The alarm's proactive-refresh request while it is out: its ticket (only it may run `refreshAhead`) and the providers due. */
  #ahead: { ticket: string; providers: string[] } | undefined;
  /** `refreshAheadUrl` as stored, once read: most calls then need no write. */
  #aheadUrl: string | undefined;
  /** Whether the grant's row has been seen: from then on it exists until `#erase`, and `#row` reads it at once. */
  #stored = false;

  constructor(ctx: DurableObjectState, env: unknown) {
    super(ctx, env);
    this.#sql = ctx.storage.sql;
    this.#vault = new VaultStore(ctx.storage.sql);
  }

  /** Creates the grant in `pending` for an approved request; only once per object. */
  async begin(input: BeginInput): Promise<GrantResult<{ expiresAt: number }>> {
    const leg: UpstreamLegRow = { nonce: input.nonce, codeVerifier: input.codeVerifier, redirectUri: input.upstreamRedirectUri, sso: input.sso };
    const [stateHash, bindingHash, sealedLeg] = await Promise.all([sha256(input.stateSecret), sha256(input.browserBinding), sealLeg(input.key, this.ctx.id.toString(), input.provider, leg)]);
    const now = Date.now();
    const expiresAt = now + PENDING_TTL_MS;
    const result = this.ctx.storage.transactionSync((): GrantResult<{ expiresAt: number }> => {
      this.#sql.exec(GRANT_SCHEMA);
      this.#vault.ensure();
      if (this.#row()) return refuse("wrong_state", "grant already exists");
      this.#sql.exec(
        `INSERT INTO grant_state (singleton, status, request, provider, created_at, expires_at, state_hash, upstream_leg, binding_hash)
         VALUES (1, 'pending', ?, ?, ?, ?, ?, ?, ?)`,
        JSON.stringify(input.request),
        input.provider,
        now,
        expiresAt,
        stateHash,
        sealedLeg,
        bindingHash,
      );
      return { ok: true, expiresAt };
    });
    if (result.ok) await this.ctx.storage.setAlarm(expiresAt);
    return result;
  }

  /**
   * Hands the upstream leg to the callback exactly once. A wrong state secret changes nothing (the grant id alone is
   * not a credential), nor does a response at the callback path of another provider than this grant's
   * (`callbackProvider`, absent at the plain `/callback`): the genuine response may still arrive. The right secret
   * from a browser without the binding cookie revokes the grant, since its state reached someone else.
   */
  async takePending(input: TakeInput): Promise<GrantResult<{ pending: PendingLogin }>> {
    const { stateSecret, browserBinding, callbackProvider } = input;
    const [stateHash, bindingHash] = await Promise.all([sha256(stateSecret), sha256(browserBinding ?? "")]);
    const now = Date.now();
    const taken = this.ctx.storage.transactionSync((): GrantResult<{ row: GrantRow; sealedLeg: string }> | Revoked => {
      const row = this.#row();
      if (!row) return refuse("not_found", "no such grant");
      if (row.status !== "pending" || row.state_hash === null || row.upstream_leg === null) {
        return refuse("wrong_state", `state presented while ${row.status}`);
      }
      if (!timingSafeEqual(stateHash, row.state_hash)) return refuse("invalid_secret", "state secret does not match");
      if (row.expires_at <= now) return refuse("expired", "pending state expired");
      // A linked provider's leg is answered at that provider's own path only: never the plain /callback.
      const legProvider = row.leg_provider ?? undefined;
      if (legProvider !== undefined ? callbackProvider !== legProvider : callbackProvider !== undefined && callbackProvider !== row.provider) {
        return refuse("provider_mismatch", "response at another provider's callback path");
      }
      if (browserBinding === undefined || row.binding_hash === null || !timingSafeEqual(bindingHash, row.binding_hash)) {
        // A linked provider's leg follows the primary's, whose tokens are already in the vault.
        return { ...refuse("binding_mismatch", "browser binding cookie missing or different", true), removed: this.#revoke(now, "browser binding mismatch at callback") };
      }
      // The upstream secrets are needed once: they leave storage as they leave the object.
      this.#sql.exec("UPDATE grant_state SET status = 'login', state_hash = NULL, upstream_leg = NULL WHERE singleton = 1");
      return { ok: true, row, sealedLeg: row.upstream_leg };
    });
    if (!taken.ok) {
      if (taken.revoked) await this.#rearm();
      return this.#handBack(taken, input);
    }
    const { row, sealedLeg } = taken;
    const legProvider = row.leg_provider ?? undefined;
    const leg = await openLeg<UpstreamLegRow>(input.key, this.ctx.id.toString(), legProvider ?? row.provider, sealedLeg);
    // Sealed under a key since replaced: the login cannot be finished; the grant stays in `login` until its alarm.
    if (!leg) return refuse("expired", "pending leg sealed under another key");
    const linking = legProvider === undefined ? undefined : { provider: legProvider, links: leg.links ?? [], user: user(row), authTime: row.auth_time ?? row.created_at };
    return {
      ok: true,
      pending: { request: parse(row), provider: row.provider, nonce: leg.nonce, codeVerifier: leg.codeVerifier, upstreamRedirectUri: leg.redirectUri, sso: leg.sso, ...(linking && { linking }) },
    };
  }

  /**
   * Chains a linked provider's leg after the one just finished (taken by `takePending`, so the grant is in `login`):
   * stores who signed in (after the primary leg) and the leg's tokens in the vault, and waits again in `pending` for
   * `input.provider`'s response, with a new state secret, PKCE verifier and nonce (sealed), a new pending lifetime,
   * and the same browser binding. Only the person who signed in with the primary leg continues the chain.
   */
  async nextLeg(input: NextLegInput): Promise<GrantResult<{ expiresAt: number }>> {
    const grantId = this.ctx.id.toString();
    const leg: UpstreamLegRow = { nonce: input.nonce, codeVerifier: input.codeVerifier, redirectUri: input.upstreamRedirectUri, links: input.links };
    const [stateHash, sealedLeg, deposits] = await Promise.all([sha256(input.stateSecret), sealLeg(input.key, grantId, input.provider, leg), sealAll(input.key, grantId, input.upstream ?? [])]);
    const now = Date.now();
    const expiresAt = now + PENDING_TTL_MS;
    const result = this.ctx.storage.transactionSync((): GrantResult<{ expiresAt: number }> => {
      const row = this.#row();
      if (!row) return refuse("not_found", "no such grant");
      if (row.status !== "login") return refuse("wrong_state", `next leg begun while ${row.status}`);
      if (row.expires_at <= now) return refuse("expired", "pending state expired during the upstream login");
      if (row.user !== null && user(row).userId !== input.user.userId) return refuse("wrong_state", "another person than the primary sign-in's");
      if (input.provider === row.provider) return refuse("provider_mismatch", "a linked leg at the primary provider");
      this.#addColumns();
      this.#sql.exec(
        `UPDATE grant_state SET status = 'pending', expires_at = ?, state_hash = ?, upstream_leg = ?, leg_provider = ?, user = ?, auth_time = ? WHERE singleton = 1`,
        expiresAt,
        stateHash,
        sealedLeg,
        input.provider,
        JSON.stringify(input.user),
        Math.min(input.authTime, now),
      );
      for (const [deposit, sealed] of deposits) this.#vault.put(deposit, sealed, now);
      return { ok: true, expiresAt };
    });
    if (result.ok) await this.ctx.storage.setAlarm(expiresAt);
    return result;
  }

  /** Records who signed in and issues the authorization code (its hash is stored; the code is returned once). */
  async completeLogin(input: LoginInput): Promise<GrantResult<{ code: string; expiresAt: number; request: AuthorizationParams }>> {
    const secret = randomSecret();
    const [codeHash, deposits] = await Promise.all([sha256(secret), sealAll(input.key, this.ctx.id.toString(), input.upstream ?? [])]);
    const now = Date.now();
    const expiresAt = now + CODE_TTL_MS;
    const result = this.ctx.storage.transactionSync((): GrantResult<{ code: string; expiresAt: number; request: AuthorizationParams }> => {
      const row = this.#row();
      if (!row) return refuse("not_found", "no such grant");
      if (row.status !== "login") return refuse("wrong_state", `login completed while ${row.status}`);
      if (row.expires_at <= now) return refuse("expired", "pending state expired during the upstream login");
      if (row.user !== null && user(row).userId !== input.user.userId) return refuse("wrong_state", "another person than the primary sign-in's");
      this.#addColumns();
      this.#sql.exec(
        `UPDATE grant_state SET status = 'code_issued', expires_at = ?, user = ?, code_hash = ?, binding_hash = NULL, auth_time = ?, leg_provider = NULL
         WHERE singleton = 1`,
        expiresAt,
        JSON.stringify(input.user),
        codeHash,
        Math.min(input.authTime, now),
      );
      for (const [deposit, sealed] of deposits) this.#vault.put(deposit, sealed, now);
      return { ok: true, code: formatHandle("code", this.ctx.id.toString(), secret), expiresAt, request: parse(row) };
    });
    if (result.ok) await this.ctx.storage.setAlarm(expiresAt);
    return result;
  }

  /**
   * Creates the grant with its code at once, for a person already signed in through this browser (single sign-on):
   * what `begin`, `takePending` and `completeLogin` do in turn, in one transition. Only once per object.
   */
  async beginSignedIn(input: SignedInBeginInput): Promise<GrantResult<{ code: string; expiresAt: number }>> {
    const secret = randomSecret();
    const [codeHash, deposits] = await Promise.all([sha256(secret), sealAll(input.key, this.ctx.id.toString(), input.upstream ?? [])]);
    const now = Date.now();
    const expiresAt = now + CODE_TTL_MS;
    const result = this.ctx.storage.transactionSync((): GrantResult<{ code: string; expiresAt: number }> => {
      this.#sql.exec(GRANT_SCHEMA);
      this.#vault.ensure();
      if (this.#row()) return refuse("wrong_state", "grant already exists");
      // The lent login is the one this grant rests on: it ends REFRESH_MAX_TTL after that login, not after now.
      this.#sql.exec(
        `INSERT INTO grant_state (singleton, status, request, provider, created_at, expires_at, user, code_hash, auth_time, max_expires_at)
         VALUES (1, 'code_issued', ?, ?, ?, ?, ?, ?, ?, ?)`,
        JSON.stringify(input.request),
        input.provider,
        now,
        expiresAt,
        JSON.stringify(input.user),
        codeHash,
        input.authTime,
        input.authTime + input.refreshMaxTtlSeconds * 1000,
      );
      for (const [deposit, sealed] of deposits) this.#vault.put(deposit, sealed, now);
      return { ok: true, code: formatHandle("code", this.ctx.id.toString(), secret), expiresAt };
    });
    if (result.ok) await this.ctx.storage.setAlarm(expiresAt);
    return result;
  }

  /**
   * Who signed in to this grant and its sealed upstream tokens, for single sign-on: only while the grant is live
   * (issued, not revoked or expired) and the person authenticated at the upstream at most SSO_MAX_AGE ago, so a
   * login is never stretched past it and someone removed at the upstream is asked again there.
   * @see https://openid.net/specs/openid-connect-core-1_0.html#IDToken (auth_time)
   */
  async signedInLogin(input: LendInput): Promise<GrantResult<{ login: SignedInLogin }>> {
    const row = this.#row();
    const now = Date.now();
    if (!row) return refuse("not_found", "no such grant");
    if ((row.status !== "active" && row.status !== "code_issued") || row.user === null) return refuse("wrong_state", `grant is ${row.status}`);
    if (row.expires_at <= now) return refuse("expired", "grant expired");
    const authTime = row.auth_time ?? undefined;
    if (authTime === undefined || now - authTime > input.ssoMaxAgeSeconds * 1000) return refuse("stale_login", "the upstream sign-in is older than SSO_MAX_AGE");
    const opened = await openAll(input.key, this.ctx.id.toString(), this.#vault.rows());
    const upstream = opened.map(({ provider, clientId, tokens: { refreshToken: _kept, ...tokens } }) => ({ provider, clientId, tokens }));
    return { ok: true, login: { provider: row.provider, user: user(row), upstream, authTime } };
  }

  /** The upstream login failed: nothing was issued, so the grant is deleted outright. */
  async failLogin(reason: string): Promise<GrantResult<{ reason: string }>> {
    const row = this.#row();
    if (!row) return refuse("not_found", "no such grant");
    if (row.status !== "login") return refuse("wrong_state", `login failed while ${row.status}`);
    await this.#erase();
    return { ok: true, reason };
  }

  /**
   * Redeems the code: exactly one caller wins (the decision: src/policy/grant-rules.ts `decideRedemption`).
   * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.1.2
   */
  async redeemCode(secret: string, presented: RedemptionInput, access?: VaultAccess): Promise<GrantResult<{ grant: IssuedGrant }>> {
    const refreshSecret = randomSecret();
    const [codeHash, refreshHash] = await Promise.all([sha256(secret), sha256(refreshSecret)]);
    const now = Date.now();
    const result = this.ctx.storage.transactionSync((): GrantResult<{ grant: IssuedGrant }> | Revoked => {
      const row = this.#row();
      if (!row) return refuse("not_found", "no such grant");
      const request = parse(row);
      const state = { status: row.status, request, codeHash: row.code_hash, codeRedeemedAt: row.code_redeemed_at, expiresAt: row.expires_at, maxExpiresAt: row.max_expires_at };
      const decision = decideRedemption(state, codeHash, presented, now);
      if (!decision.ok) return this.#refuse(decision, now);
      const { idleExpiresAt: idle, maxExpiresAt: max } = decision;
      this.#sql.exec(
        `UPDATE grant_state SET status = 'active', code_redeemed_at = ?, active_at = ?, idle_expires_at = ?, max_expires_at = ?, expires_at = ?,
           refresh_key = ? WHERE singleton = 1`,
        now,
        now,
        idle,
        max,
        idle,
        presented.issueRefreshToken ? randomSecret() : null,
      );
      if (presented.issueRefreshToken) this.#sql.exec("INSERT INTO refresh_tokens (hash, issued_at) VALUES (?, ?)", refreshHash, now);
      const refreshToken = presented.issueRefreshToken ? formatHandle("refresh", this.ctx.id.toString(), refreshSecret) : undefined;
      return { ok: true, grant: this.#issued(row, request.scope, max, refreshToken) };
    });
    if (result.ok || result.revoked) await this.#rearm();
    return this.#handBack(result, access);
  }

  /**
   * Rotates a refresh token: exactly one caller wins per token (the decision, with the replay window and reuse
   * detection: src/policy/grant-rules.ts `decideRotation`).
   * @see https://www.rfc-editor.org/rfc/rfc9700#section-4.14.2
   */
  async rotateRefresh(secret: string, presented: RefreshPresentation, access?: VaultAccess): Promise<GrantResult<{ grant: IssuedGrant; replayed: boolean }>> {
    const key = this.#row()?.refresh_key;
    if (!key) return refuse("invalid_secret", "the grant has no refresh family");
    // The successor is derived from the presented token, so a retry yields the same one without it being stored.
    const successorSecret = await hmacSha256(key, secret);
    const [hash, successorHash] = await Promise.all([sha256(secret), sha256(successorSecret)]);
    const now = Date.now();
    const result = this.ctx.storage.transactionSync((): GrantResult<{ grant: IssuedGrant; replayed: boolean }> | Revoked => {
      const row = this.#row();
      if (!row) return refuse("not_found", "no such grant");
      const token = this.#refreshToken(hash);
      const successor = token?.successor_hash == null ? undefined : this.#refreshToken(token.successor_hash);
      const decision = decideRotation(
        {
          status: row.status,
          request: parse(row),
          expiresAt: row.expires_at,
          maxExpiresAt: row.max_expires_at,
          token: token && { hash: token.hash, rotatedAt: token.rotated_at },
          successor: successor && { hash: successor.hash, rotatedAt: successor.rotated_at },
          derivedSuccessorHash: successorHash,
        },
        presented,
        now,
      );
      if (!decision.ok) return this.#refuse(decision, now);
      const refreshToken = formatHandle("refresh", this.ctx.id.toString(), successorSecret);
      const grant = this.#issued(row, decision.scope, decision.maxExpiresAt, refreshToken);
      if (decision.replayed) return { ok: true, replayed: true, grant };
      this.#sql.exec("UPDATE refresh_tokens SET rotated_at = ?, successor_hash = ? WHERE hash = ?", now, successorHash, hash);
      this.#sql.exec("INSERT INTO refresh_tokens (hash, issued_at) VALUES (?, ?)", successorHash, now);
      this.#sql.exec("UPDATE grant_state SET idle_expires_at = ?, expires_at = ? WHERE singleton = 1", decision.idleExpiresAt, decision.idleExpiresAt);
      return { ok: true, replayed: false, grant };
    });
    // A rotation only moves the expiry later: the alarm already set fires early and re-arms itself.
    if (!result.ok && result.revoked) await this.#rearm();
    return this.#handBack(result, access);
  }

  /**
   * Revokes the grant when `secret` is one of its refresh tokens (current or used) and `clientId` its client;
   * anything else changes nothing. @see https://www.rfc-editor.org/rfc/rfc7009#section-2.1
   */
  async revokeRefresh(secret: string, clientId: string, access?: VaultAccess): Promise<GrantResult<{ wasLive: boolean; upstream: RemovedUpstream[] }>> {
    const hash = await sha256(secret);
    const now = Date.now();
    const result = this.ctx.storage.transactionSync((): GrantResult<{ wasLive: boolean; rows: VaultRow[] }> => {
      const row = this.#row();
      if (!row) return refuse("not_found", "no such grant");
      if (this.#sql.exec("SELECT 1 FROM refresh_tokens WHERE hash = ?", hash).toArray().length === 0) return refuse("invalid_secret", "refresh token does not match");
      if (parse(row).clientId !== clientId) return refuse("client_mismatch", "refresh token issued to another client");
      if (row.status === "revoked") return { ok: true, wasLive: false, rows: [] };
      const rows = this.#revoke(now, "refresh token revoked by the client");
      return { ok: true, wasLive: row.status === "active" && now < row.expires_at, rows };
    });
    if (!result.ok) return result;
    await this.#rearm();
    return { ok: true, wasLive: result.wasLive, upstream: access ? await openAll(access.key, this.ctx.id.toString(), result.rows) : [] };
  }

  /** Describes a refresh token for introspection: only the family's current token of a live grant is active. */
  async inspectRefresh(secret: string): Promise<GrantResult<{ token: RefreshTokenInfo }>> {
    const hash = await sha256(secret);
    const row = this.#row();
    if (!row) return refuse("not_found", "no such grant");
    const token = this.#refreshToken(hash);
    if (!token) return refuse("invalid_secret", "refresh token does not match");
    if (row.status !== "active" || row.expires_at <= Date.now()) return refuse(row.status === "revoked" ? "revoked" : "expired", "grant not live");
    if (token.rotated_at !== null) return refuse("refresh_reused", "refresh token already rotated");
    const request = parse(row);
    return {
      ok: true,
      token: { grantId: this.ctx.id.toString(), user: user(row), clientId: request.clientId, scope: request.scope, resource: request.resource, issuedAt: token.issued_at, expiresAt: row.expires_at },
    };
  }

  /**
   * Revokes the grant from any live state; revoking twice is harmless. With `access`, the vault's tokens are handed
   * back as they leave storage, for the caller to revoke at their providers (RFC 7009) in the background.
   */
  async revoke(reason: string, access?: VaultAccess): Promise<GrantResult<{ wasLive: boolean; upstream: RemovedUpstream[] }>> {
    const now = Date.now();
    const result = this.ctx.storage.transactionSync((): GrantResult<{ wasLive: boolean; rows: VaultRow[] }> => {
      const row = this.#row();
      if (!row) return refuse("not_found", "no such grant");
      if (row.status === "revoked") return { ok: true, wasLive: false, rows: [] };
      const rows = this.#revoke(now, reason);
      return { ok: true, wasLive: row.status === "active" && now < row.expires_at, rows };
    });
    await this.#rearm();
    if (!result.ok) return result;
    const upstream = access ? await openAll(access.key, this.ctx.id.toString(), result.rows) : [];
    return { ok: true, wasLive: result.wasLive, upstream };
  }

  /**
   * Adds (or replaces) the vault entry of one provider, for a login that links a further provider to this grant
   * (chained logins): while the login is under way, and once the grant is issued.
   */
  async linkUpstream(input: VaultAccess & { deposit: VaultDeposit }): Promise<GrantResult<{ linkedAt: number }>> {
    const sealed = await sealEntry(input.key, this.ctx.id.toString(), input.deposit);
    const now = Date.now();
    return this.ctx.storage.transactionSync((): GrantResult<{ linkedAt: number }> => {
      const row = this.#row();
      if (!row) return refuse("not_found", "no such grant");
      if (row.status !== "login" && row.status !== "code_issued" && row.status !== "active") return refuse("wrong_state", `provider linked while ${row.status}`);
      if (row.expires_at <= now) return refuse("expired", "grant expired");
      this.#vault.put(input.deposit, sealed, now);
      return { ok: true, linkedAt: now };
    });
  }

  /**
   * One provider's access token, for a new grant of the same person to start from when a chained login finds a live
   * link (README "Linking several providers"): only while this grant is live and only a token that never expires,
   * without its refresh token — a copy that expires could never be refreshed by the borrower, and a refresh token
   * shared by two grants is spent by the first to refresh (single-use rotation). Otherwise `not_linked`: connect again.
   */
  async lendUpstream(input: VaultAccess & { provider: string }): Promise<GrantResult<{ deposit: VaultDeposit }>> {
    const row = this.#row();
    if (!row) return refuse("not_found", "no such grant");
    if (row.status !== "active" && row.status !== "code_issued") return refuse("wrong_state", `grant is ${row.status}`);
    if (row.expires_at <= Date.now()) return refuse("expired", "grant expired");
    const entry = this.#vault.read(input.provider);
    if (!entry || entry.expires_at !== null) return refuse("not_linked", entry ? "the provider's access token expires" : "no vault entry for the provider");
    const opened = await openEntry(input.key, this.ctx.id.toString(), input.provider, entry.sealed);
    if (!opened) return refuse("not_linked", "vault entry sealed under another key");
    const { refreshToken: _kept, ...tokens } = opened.tokens;
    return { ok: true, deposit: { provider: input.provider, clientId: opened.clientId, tokens } };
  }

  /** The providers in the vault: names, scopes, expiry; never a token. */
  async linkedProviders(): Promise<GrantResult<{ providers: LinkedProvider[] }>> {
    const row = this.#row();
    if (!row) return refuse("not_found", "no such grant");
    return { ok: true, providers: this.#vault.rows().map(listed) };
  }

  /** Removes one provider's entry; its tokens come back (when this key opens them) for revocation at the provider. */
  async unlinkUpstream(input: VaultAccess & { provider: string }): Promise<GrantResult<{ removed: RemovedUpstream | undefined }>> {
    const entry = this.#vault.read(input.provider);
    if (!this.#row()) return refuse("not_found", "no such grant");
    if (!entry || !this.#vault.remove(input.provider)) return { ok: true, removed: undefined };
    const [removed] = await openAll(input.key, this.ctx.id.toString(), [entry]);
    return { ok: true, removed };
  }

  /**
   * A valid access token of `provider` for a tool or an origin: served from the vault, or first refreshed through
   * `input.refresh` when it expires within 60 s (src/policy/upstream-token.ts). One refresh per provider is in flight
   * at a time and every concurrent caller awaits it; its rotated refresh token is stored before any caller gets the
   * new access token. A transient failure changes nothing; a terminal one revokes the grant (`upstream_revoked`).
   * @see https://www.rfc-editor.org/rfc/rfc6749#section-6
   * @see https://www.rfc-editor.org/rfc/rfc9700#section-4.14.2
   */
  async upstreamToken(input: UpstreamTokenInput): Promise<GrantResult<{ token: UpstreamAccessToken }>> {
    const now = Date.now();
    const row = this.#row();
    if (!row) return refuse("not_found", "no such grant");
    if (row.status !== "active") return refuse(row.status === "revoked" ? "revoked" : "wrong_state", `upstream token asked while ${row.status}`);
    if (row.expires_at <= now) return refuse("expired", "grant expired");
    const noted = this.#vault.read(input.provider);
    if (!noted) return refuse("not_linked", "no vault entry for the provider");
    // Recent use is what keeps an entry refreshed ahead by the alarm; noted at most hourly, as a write delays the answer.
    if (noted.used_at === null || now - noted.used_at > USE_NOTE_INTERVAL_MS) {
      this.#vault.used(input.provider, now);
      this.#noteAheadUrl(input.refreshAheadUrl);
      await this.#rearm();
    }
    // From here to the refresh's start nothing is awaited: the entry read is the one a refresh would present.
    const inFlight = this.#refreshing.get(input.provider);
    if (inFlight) return inFlight.then(joined);
    const entry = this.#vault.read(input.provider);
    if (!entry) return refuse("not_linked", "no vault entry for the provider");
    const decision = decideUpstreamToken({ expiresAt: entry.expires_at, refreshable: entry.refreshable === 1, clientId: entry.client_id }, input.clientId, now);
    if (decision.action === "terminal") {
      const removed = this.ctx.storage.transactionSync(() => this.#revoke(now, UPSTREAM_REVOKED));
      await this.#rearm();
      return this.#handBack({ ...refuse("upstream_revoked", decision.reason, true), removed }, input);
    }
    if (decision.action === "refresh") return this.#refreshOnce(input, entry);
    const opened = await openEntry(input.key, this.ctx.id.toString(), input.provider, entry.sealed);
    if (!opened) return refuse("not_linked", "vault entry sealed under another key");
    return { ok: true, token: accessToken(entry, opened.tokens.accessToken, false) };
  }

  /**
   * Refreshes the entries due ahead of expiry that were used in the last 24 hours: called by the Worker when the
   * object's alarm asked it to (with the alarm's ticket), so the first call of the morning finds a fresh token.
   */
  async refreshAhead(input: RefreshAheadInput): Promise<GrantResult<{ clientId: string; results: { provider: string; result: GrantResult<{ token: UpstreamAccessToken }> }[] }>> {
    const ahead = this.#ahead;
    if (ahead === undefined || !timingSafeEqual(await sha256(input.ticket), await sha256(ahead.ticket))) return refuse("invalid_secret", "no proactive refresh was asked for");
    const row = this.#row();
    if (!row || row.status !== "active") return refuse("wrong_state", "grant not active");
    const due = ahead.providers.flatMap((name) => this.#vault.read(name) ?? []);
    const results = await Promise.all(
      due.flatMap((entry) => {
        const provider = input.providers.find((p) => p.provider === entry.provider && p.clientId === entry.client_id);
        return provider ? [this.#refreshOnce({ ...provider, key: input.key }, entry).then((result) => ({ provider: entry.provider, result }))] : [];
      }),
    );
    return { ok: true, clientId: parse(row).clientId, results };
  }

  /** The refresh of `entry`, or the one in flight for its provider. */
  #refreshOnce(input: Omit<UpstreamTokenInput, "refreshAheadUrl">, entry: VaultRow): Promise<GrantResult<{ token: UpstreamAccessToken }>> {
    const inFlight = this.#refreshing.get(entry.provider);
    if (inFlight) return inFlight.then(joined);
    const flight = this.#refresh(input, entry).finally(() => this.#refreshing.delete(entry.provider));
    this.#refreshing.set(entry.provider, flight);
    return flight;
  }

  /** The one refresh of `entry`; runs while `#refreshing` holds it. */
  async #refresh(input: Omit<UpstreamTokenInput, "refreshAheadUrl">, entry: VaultRow): Promise<GrantResult<{ token: UpstreamAccessToken }>> {
    const grantId = this.ctx.id.toString();
    const opened = await openEntry(input.key, grantId, entry.provider, entry.sealed);
    const refreshToken = opened?.tokens.refreshToken;
    if (!opened || !refreshToken) return refuse("not_linked", "vault entry sealed under another key");
    let outcome: RefreshOutcome;
    try {
      outcome = await input.refresh({ provider: entry.provider, refreshToken, scope: entry.scope ?? undefined });
    } catch {
      // The caller's side went away (its request ended, the RPC broke): nothing is known, so nothing changes.
      outcome = { ok: false, terminal: false, reason: "refresher failed" };
    }
    if (!outcome.ok) {
      if (!outcome.terminal) return refuse("upstream_unavailable", outcome.reason);
      const removed = this.ctx.storage.transactionSync(() => {
        const row = this.#row();
        if (!row || row.status === "revoked") return undefined;
        return this.#revoke(Date.now(), UPSTREAM_REVOKED);
      });
      await this.#rearm();
      // Every linked provider's entry goes with the grant, not only the refused one: each is revoked at its provider.
      return removed ? this.#handBack({ ...refuse("upstream_revoked", outcome.reason, true), removed }, input) : refuse("revoked", "grant revoked during the upstream refresh");
    }
    // A provider that does not rotate answers without a refresh token (RFC 6749 §6): the old one stays valid.
    const tokens = { ...opened.tokens, ...outcome.tokens, refreshToken: outcome.tokens.refreshToken ?? refreshToken };
    const sealed = await sealEntry(input.key, grantId, { provider: entry.provider, clientId: opened.clientId, tokens });
    const stored = this.ctx.storage.transactionSync((): GrantResult<{ token: UpstreamAccessToken }> => {
      const row = this.#row();
      if (!row || row.status !== "active") return refuse("revoked", "grant revoked during the upstream refresh");
      // Relinked or removed meanwhile (only a new login does that): the newer entry stands.
      if (this.#vault.read(entry.provider)?.sealed !== entry.sealed) return refuse("upstream_unavailable", "vault entry replaced during the refresh");
      const now = Date.now();
      this.#vault.refreshed(entry.provider, tokens, sealed, now);
      return { ok: true, token: accessToken(this.#vault.read(entry.provider) ?? entry, tokens.accessToken, true) };
    });
    // The new expiry moves the next proactive refresh.
    if (stored.ok) await this.#rearm();
    return stored;
  }


  /** Whether tokens issued from this grant may still be used (`/mcp` liveness). */
  async checkLive(): Promise<boolean> {
    const row = this.#row();
    return row !== undefined && row.status === "active" && Date.now() < row.expires_at;
  }

  /**
   * Ends whatever state has run out; its storage goes with it. For an active grant whose recently used upstream tokens
   * are due, asks the Worker (through `ctx.exports.default`, at the stored `refreshAheadUrl`) to refresh them ahead.
   * Re-arms when woken early.
   */
  override async alarm(): Promise<void> {
    const row = this.#row();
    if (!row) return this.#erase();
    const now = Date.now();
    if (row.expires_at <= now) return this.#erase();
    const due = row.status === "active" ? this.#vault.dueAhead(now) : [];
    const url = this.#vault.refreshAheadUrl();
    const worker = (this.ctx as { exports?: { default?: Fetcher } }).exports?.default;
    // Noted first, whatever happens next: the next attempt waits AHEAD_RETRY_MS, so a failing one never loops.
    for (const entry of due) this.#vault.aheadTried(entry.provider, now);
    if (due.length > 0 && url && worker) {
      const ticket = randomSecret();
      this.#ahead = { ticket, providers: due.map((entry) => entry.provider) };
      try {
        const response = await worker.fetch(url, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ grant_id: this.ctx.id.toString(), ticket }) });
        await response.body?.cancel();
      } catch {
        // The Worker could not be reached: the entries wait AHEAD_RETRY_MS, and a tool call still refreshes on demand.
      } finally {
        this.#ahead = undefined;
      }
    }
    await this.#rearm();
  }

  /** Keeps where the alarm asks for proactive refreshes, when the Worker says (unchanged: no write). */
  #noteAheadUrl(url: string | undefined): void {
    if (url === undefined || url === this.#aheadUrl) return;
    if (this.#vault.refreshAheadUrl() !== url) this.#vault.setRefreshAheadUrl(url);
    this.#aheadUrl = url;
  }

  /** What the token endpoint needs to mint tokens for this grant. */
  #issued(row: GrantRow, scope: string, expiresAt: number, refreshToken: string | undefined): IssuedGrant {
    const request = parse(row);
    return { grantId: this.ctx.id.toString(), user: user(row), clientId: request.clientId, scope, resource: request.resource, createdAt: row.created_at, expiresAt, refreshToken };
  }

  /** A rule's refusal as the transition's result, revoking the grant first when the rule says so. */
  #refuse(refusal: Refusal, now: number): GrantFailure | Revoked {
    if (refusal.revokeReason === undefined) return refuse(refusal.error, refusal.reason);
    return { ...refuse(refusal.error, refusal.reason, true), removed: this.#revoke(now, refusal.revokeReason) };
  }

  /**
   * A transition's result as it leaves the object: a revocation's removed vault rows become `upstream`, opened with
   * the caller's key (outside the transaction: opening awaits WebCrypto), or are dropped without one.
   */
  async #handBack<T>(result: GrantResult<T> | Revoked, access: VaultAccess | undefined): Promise<GrantResult<T>> {
    if (result.ok || !("removed" in result)) return result;
    const { removed, ...failure } = result;
    const upstream = access && removed.length > 0 ? await openAll(access.key, this.ctx.id.toString(), removed) : [];
    return upstream.length > 0 ? { ...failure, upstream } : failure;
  }

  #refreshToken(hash: string): RefreshTokenRow | undefined {
    return this.#sql.exec<RefreshTokenRow>("SELECT * FROM refresh_tokens WHERE hash = ?", hash).toArray()[0];
  }

  /**
   * Marks the grant revoked and drops every secret but the code and refresh hashes (kept to recognise late replays);
   * returns the vault rows it removed, for the transition to hand back (`#handBack`).
   */
  #revoke(now: number, reason: string): VaultRow[] {
    const removed = this.#vault.rows();
    this.#sql.exec(
      `UPDATE grant_state SET status = 'revoked', revoked_at = ?, revoke_reason = ?, expires_at = ?,
         state_hash = NULL, upstream_leg = NULL, binding_hash = NULL, upstream_tokens = NULL, refresh_key = NULL
       WHERE singleton = 1`,
      now,
      reason,
      now + TOMBSTONE_MS,
    );
    this.#vault.clear();
    return removed;
  }

  /** Objects begun before `auth_time` or `leg_provider` existed get them when they need them (CREATE TABLE IF NOT EXISTS adds no column). */
  #addColumns(): void {
    const columns = this.#sql.exec("SELECT * FROM grant_state LIMIT 0").columnNames;
    for (const [column, type] of [["auth_time", "INTEGER"], ["leg_provider", "TEXT"]] as const) {
      if (!columns.includes(column)) this.#sql.exec(`ALTER TABLE grant_state ADD COLUMN ${column} ${type}`);
    }
  }

  /** The grant's row, or `undefined` when none exists; never creates storage for an unknown id. */
  #row(): GrantRow | undefined {
    if (!this.#stored && this.#sql.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'grant_state'").toArray().length === 0) return undefined;
    const row = this.#sql.exec<GrantRow>("SELECT * FROM grant_state WHERE singleton = 1").toArray()[0];
    this.#stored = row !== undefined;
    return row;
  }

  /** Points the alarm at the current state's end, or earlier at the next proactive upstream refresh. */
  async #rearm(): Promise<void> {
    const row = this.#row();
    if (!row) return;
    const ahead = row.status === "active" && this.#vault.refreshAheadUrl() ? this.#vault.nextAhead() : undefined;
    const at = ahead === undefined ? row.expires_at : Math.min(row.expires_at, Math.max(ahead, Date.now()));
    if ((await this.ctx.storage.getAlarm()) !== at) await this.ctx.storage.setAlarm(at);
  }

  async #erase(): Promise<void> {
    this.#stored = false;
    await this.ctx.storage.deleteAlarm();
    await this.ctx.storage.deleteAll();
  }
}

/** A refusal that revoked the grant, with the vault rows it removed: only inside the object (`#handBack`). */
type Revoked = GrantFailure & { removed: VaultRow[] };

/**
 * The in-flight refresh's result for a caller that joined it: without `upstream`, which only the caller that started
 * it receives, so that a terminal answer has the tokens revoked at their providers once, not once per waiting caller.
 */
function joined<T>(result: GrantResult<T>): GrantResult<T> {
  if (result.ok || result.upstream === undefined) return result;
  const { upstream: _once, ...failure } = result;
  return failure;
}

function parse(row: GrantRow): AuthorizationParams {
  return JSON.parse(row.request) as AuthorizationParams;
}

function user(row: GrantRow): GrantIdentity {
  return JSON.parse(row.user ?? "null") as GrantIdentity;
}
