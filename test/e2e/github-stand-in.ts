// A stand-in for GitHub on 127.0.0.1 at a free port, laid out as a GitHub Enterprise Server is (OAuth at
// `/login/oauth/…`, the REST API under `/api/v3`), playing GitHub's web application flow and REST API as GitHub
// documents them: an OAuth App (scopes, non-expiring tokens) or a GitHub App (permissions, expiring user tokens with
// single-use refresh tokens); token answers form-encoded unless the request accepts JSON, errors with 200 OK; and the
// app's token deletion (`DELETE /applications/{client_id}/token`, Basic client credentials), GitHub's revocation.
// @see https://docs.github.com/en/rest/apps/oauth-applications#delete-an-app-token
// @see https://docs.github.com/en/apps/oauth-apps/building-oauth-apps/authorizing-oauth-apps
// @see https://docs.github.com/en/apps/creating-github-apps/authenticating-with-a-github-app/refreshing-user-access-tokens
import { createHash, randomBytes } from "node:crypto";
import { type IncomingMessage, type Server, type ServerResponse, createServer } from "node:http";
import type { AddressInfo } from "node:net";

/** One GitHub account: its `/user` answer and its `/user/emails` list. */
export interface GitHubAccount {
  login: string;
  id: number;
  name: string | null;
  /** The public email `/user` shows (unverified as far as `/user` says). */
  email: string | null;
  company: string | null;
  emails: { email: string; primary: boolean; verified: boolean; visibility: "public" | "private" | null }[];
}

export interface GitHubOptions {
  kind: "oauth-app" | "github-app";
  clientId: string;
  clientSecret: string;
  /** The app's callback URL (an OAuth App accepts subdirectories of it, a GitHub App exactly its callback URLs). */
  callbackUrl: string;
  accounts: GitHubAccount[];
  /** Answer the token endpoint form-encoded even when JSON is accepted (an Enterprise Server behind a proxy that drops `Accept`). */
  formAnswers?: boolean;
  /** GitHub App: whether it has the "Email addresses" (read) account permission. */
  emailPermission?: boolean;
  /** GitHub App user token lifetimes, seconds (GitHub's: 8 hours and 6 months). */
  expiresIn?: number;
  refreshExpiresIn?: number;
}

/** A request GitHub received, as a test asserts it (never the secret values themselves, but whether they matched). */
export interface GitHubRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  /** Form body of a POST (a JSON body's members, as for a DELETE). */
  form?: URLSearchParams;
  headers: Record<string, string | string[] | undefined>;
  /** What GitHub answered: status and, for the token endpoint, the `error` if any. */
  status: number;
  error?: string;
}

export interface GitHub {
  /** The base URL, as `base_url` of a `type: "github"` provider. */
  url: string;
  server: Server;
  requests: GitHubRequest[];
  /** Tokens issued, for the tests that follow a refresh. */
  issued: { accessToken: string; refreshToken?: string; login: string }[];
  /** Refresh tokens presented, in order (single use: a second presentation is `bad_refresh_token`). */
  refreshes: string[];
  /** Access tokens deleted through the app's token deletion API, in order. */
  deleted: string[];
  /** Sets the lifetime (seconds) of the GitHub App user tokens issued from now on, e.g. one about to expire. */
  setTokenLifetime: (seconds: number) => void;
  /** Makes the next code exchange fail with `bad_verification_code`, as a code GitHub no longer knows does. */
  rejectNextCode: () => void;
  /** Forgets every refresh token, as when the person revokes the app's authorization: refreshes get `bad_refresh_token`. */
  forgetRefreshTokens: () => void;
  close: () => Promise<void>;
}

interface PendingCode {
  login: string;
  clientId: string;
  redirectUri: string;
  scope: string;
  challenge?: string;
  expiresAt: number;
}

interface AccessToken {
  login: string;
  scope: string;
  expiresAt?: number;
}

const ERROR_URI = "https://docs.github.com/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors/";

export async function startGitHub(options: GitHubOptions): Promise<GitHub> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const requests: GitHubRequest[] = [];
  const issued: GitHub["issued"] = [];
  const refreshes: string[] = [];
  const deleted: string[] = [];
  const codes = new Map<string, PendingCode>();
  const tokens = new Map<string, AccessToken>();
  const refreshTokens = new Map<string, { login: string; expiresAt: number }>();
  let rejectCode = false;
  let expiresIn = options.expiresIn ?? 28_800;
  const prefix = options.kind === "github-app" ? { access: "ghu_", refresh: "ghr_" } : { access: "gho_", refresh: "" };

  const account = (login: string) => options.accounts.find((a) => a.login === login);

  /** GitHub's rule for `redirect_uri`: an OAuth App's may be a subdirectory of its callback URL (same host and port). */
  const redirectAllowed = (uri: string): boolean => {
    if (uri === options.callbackUrl) return true;
    if (options.kind === "github-app") return false;
    const given = new URL(uri);
    const registered = new URL(options.callbackUrl);
    return given.origin === registered.origin && given.pathname.startsWith(registered.pathname.replace(/\/?$/, "/"));
  };

  const issue = (login: string, scope: string): Record<string, string | number> => {
    const accessToken = prefix.access + randomBytes(24).toString("base64url");
    if (options.kind === "oauth-app") {
      tokens.set(accessToken, { login, scope });
      issued.push({ accessToken, login });
      return { access_token: accessToken, scope: scope.split(/[\s,]+/).filter(Boolean).join(","), token_type: "bearer" };
    }
    const refreshExpiresIn = options.refreshExpiresIn ?? 15_897_600;
    const refreshToken = prefix.refresh + randomBytes(40).toString("base64url");
    tokens.set(accessToken, { login, scope: "", expiresAt: Date.now() + expiresIn * 1000 });
    refreshTokens.set(refreshToken, { login, expiresAt: Date.now() + refreshExpiresIn * 1000 });
    issued.push({ accessToken, refreshToken, login });
    return { access_token: accessToken, expires_in: expiresIn, refresh_token: refreshToken, refresh_token_expires_in: refreshExpiresIn, scope: "", token_type: "bearer" };
  };

  const handle = async (req: IncomingMessage, res: ServerResponse, record: GitHubRequest): Promise<void> => {
    const target = new URL(req.url ?? "/", url);
    if (target.pathname === "/login/oauth/authorize" && req.method === "GET") return authorizePage(target.searchParams, res, record);
    if (target.pathname === "/login/oauth/authorize" && req.method === "POST") return authorizeDecision(record.form ?? new URLSearchParams(), res, record);
    if (target.pathname === "/login/oauth/access_token" && req.method === "POST") return accessToken(req, record.form ?? new URLSearchParams(), res, record);
    if (target.pathname.startsWith("/api/v3/")) return api(req, target.pathname.slice("/api/v3".length), res, record);
    send(res, record, 404, "text/html", "<h1>404</h1>");
  };

  const authorizePage = (query: URLSearchParams, res: ServerResponse, record: GitHubRequest): void => {
    if (query.get("client_id") !== options.clientId) return send(res, record, 404, "text/html", "<h1>404 — This is not the web page you are looking for.</h1>");
    const redirectUri = query.get("redirect_uri") ?? options.callbackUrl;
    if (!redirectAllowed(redirectUri)) {
      // GitHub sends the browser to the registered callback URL with the error.
      const back = new URL(options.callbackUrl);
      back.search = new URLSearchParams({ error: "redirect_uri_mismatch", error_description: "The redirect_uri MUST match the registered callback URL for this application.", error_uri: ERROR_URI, state: query.get("state") ?? "" }).toString();
      return redirect(res, record, back.href);
    }
    const method = query.get("code_challenge_method");
    if (query.get("code_challenge") && method !== "S256") return send(res, record, 400, "text/html", "<h1>code_challenge_method must be S256</h1>");
    const fields = ["client_id", "redirect_uri", "scope", "state", "code_challenge", "code_challenge_method"]
      .map((name) => `<input type="hidden" name="${name}" value="${escape(name === "redirect_uri" ? redirectUri : (query.get(name) ?? ""))}">`)
      .join("");
    const picker = query.get("prompt") === "select_account" ? "<p>Pick an account</p>" : "";
    send(
      res,
      record,
      200,
      "text/html",
      `<!doctype html><title>Authorize application</title><h1>Authorize ${escape(options.clientId)}</h1>${picker}
      <form method="post" action="/login/oauth/authorize">${fields}
        <label>Username or email address <input name="login" type="text"></label>
        <label>Password <input name="password" type="password"></label>
        <button type="submit" name="authorize" value="1">Authorize</button>
        <button type="submit" name="authorize" value="0">Cancel</button>
      </form>`,
    );
  };

  const authorizeDecision = (form: URLSearchParams, res: ServerResponse, record: GitHubRequest): void => {
    const redirectUri = form.get("redirect_uri") ?? "";
    if (form.get("client_id") !== options.clientId || !redirectAllowed(redirectUri)) return send(res, record, 400, "text/html", "<h1>Bad request</h1>");
    const back = new URL(redirectUri);
    const state = form.get("state") ?? "";
    if (form.get("authorize") !== "1") {
      back.search = new URLSearchParams({ error: "access_denied", error_description: "The user has denied your application access.", error_uri: "https://docs.github.com/apps/managing-oauth-apps/troubleshooting-authorization-request-errors/#access-denied", state }).toString();
      return redirect(res, record, back.href);
    }
    const login = form.get("login") ?? "";
    if (!account(login)) return send(res, record, 200, "text/html", `<h1>Incorrect username or password.</h1>`);
    const code = randomBytes(10).toString("hex");
    codes.set(code, { login, clientId: options.clientId, redirectUri, scope: form.get("scope") ?? "", challenge: form.get("code_challenge") || undefined, expiresAt: Date.now() + 600_000 });
    back.search = new URLSearchParams({ code, state }).toString();
    redirect(res, record, back.href);
  };

  const accessToken = (req: IncomingMessage, form: URLSearchParams, res: ServerResponse, record: GitHubRequest): void => {
    const answer = (body: Record<string, string | number>) => {
      record.error = typeof body.error === "string" ? body.error : undefined;
      const json = !options.formAnswers && /application\/json/.test(req.headers.accept ?? "");
      const text = json ? JSON.stringify(body) : new URLSearchParams(Object.entries(body).map(([k, v]) => [k, String(v)])).toString();
      // GitHub answers its errors with 200 OK too.
      send(res, record, 200, json ? "application/json; charset=utf-8" : "application/x-www-form-urlencoded; charset=utf-8", text);
    };
    const error = (code: string, description: string) => answer({ error: code, error_description: description, error_uri: ERROR_URI });
    if (form.get("client_id") !== options.clientId || form.get("client_secret") !== options.clientSecret) {
      return error("incorrect_client_credentials", "The client_id and/or client_secret passed are incorrect.");
    }
    if (form.get("grant_type") === "refresh_token") {
      const presented = form.get("refresh_token") ?? "";
      refreshes.push(presented);
      const entry = refreshTokens.get(presented);
      refreshTokens.delete(presented);
      if (options.kind !== "github-app" || !entry || entry.expiresAt <= Date.now()) return error("bad_refresh_token", "The refresh token passed is incorrect or expired.");
      return answer(issue(entry.login, ""));
    }
    const code = form.get("code") ?? "";
    const pending = codes.get(code);
    codes.delete(code);
    if (rejectCode || !pending || pending.expiresAt <= Date.now()) {
      rejectCode = false;
      return error("bad_verification_code", "The code passed is incorrect or expired.");
    }
    const redirectUri = form.get("redirect_uri");
    if (redirectUri !== null && redirectUri !== pending.redirectUri) return error("redirect_uri_mismatch", "The redirect_uri MUST match the registered callback URL for this application.");
    if (pending.challenge !== undefined) {
      const verifier = form.get("code_verifier") ?? "";
      if (createHash("sha256").update(verifier).digest("base64url") !== pending.challenge) return error("bad_verification_code", "The code passed is incorrect or expired.");
    }
    answer(issue(pending.login, pending.scope));
  };

  const api = (req: IncomingMessage, path: string, res: ServerResponse, record: GitHubRequest): void => {
    const json = (status: number, body: unknown) => send(res, record, status, "application/json; charset=utf-8", JSON.stringify(body));
    // "API requests with no User-Agent header will be rejected." @see https://docs.github.com/en/rest/using-the-rest-api/getting-started-with-the-rest-api#user-agent
    if (!req.headers["user-agent"]) return json(403, { message: "Request forbidden by administrative rules. Please make sure your request has a User-Agent header." });
    if (path === `/applications/${options.clientId}/token` && req.method === "DELETE") {
      const basic = Buffer.from((req.headers.authorization ?? "").replace(/^Basic /, ""), "base64").toString("utf8");
      if (basic !== `${options.clientId}:${options.clientSecret}`) return json(404, { message: "Not Found", status: "404" });
      const token = record.form?.get("access_token") ?? "";
      if (!tokens.delete(token)) return json(404, { message: "Not Found", status: "404" });
      deleted.push(token);
      record.status = 204;
      res.writeHead(204).end();
      return;
    }
    const [scheme, token] = (req.headers.authorization ?? "").split(" ");
    const found = token && /^(bearer|token)$/i.test(scheme ?? "") ? tokens.get(token) : undefined;
    if (!found || (found.expiresAt !== undefined && found.expiresAt <= Date.now())) return json(401, { message: "Bad credentials", documentation_url: "https://docs.github.com/rest", status: "401" });
    const who = account(found.login);
    if (!who) return json(401, { message: "Bad credentials" });
    if (path === "/user") {
      return json(200, { login: who.login, id: who.id, node_id: `U_${who.id}`, type: "User", site_admin: false, name: who.name, company: who.company, email: who.email });
    }
    if (path === "/user/emails") {
      if (options.kind === "github-app" && !options.emailPermission) return json(403, { message: "Resource not accessible by integration", documentation_url: "https://docs.github.com/rest/users/emails#list-email-addresses-for-the-authenticated-user", status: "403" });
      if (options.kind === "oauth-app" && !/(^|[\s,])user(:email)?($|[\s,])/.test(found.scope)) return json(404, { message: "Not Found", status: "404" });
      return json(200, who.emails);
    }
    json(404, { message: "Not Found", status: "404" });
  };

  server.on("request", (req, res) => {
    const target = new URL(req.url ?? "/", url);
    const record: GitHubRequest = { method: req.method ?? "GET", path: target.pathname, query: target.searchParams, headers: { ...req.headers }, status: 0 };
    requests.push(record);
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      if (req.method === "POST" || req.method === "DELETE") {
        const body = Buffer.concat(chunks).toString("utf8");
        record.form = /application\/json/.test(req.headers["content-type"] ?? "") ? new URLSearchParams(JSON.parse(body) as Record<string, string>) : new URLSearchParams(body);
      }
      handle(req, res, record).catch((err: unknown) => send(res, record, 500, "text/plain", String(err)));
    });
  });

  return {
    url,
    server,
    requests,
    issued,
    refreshes,
    deleted,
    setTokenLifetime: (seconds) => {
      expiresIn = seconds;
    },
    rejectNextCode: () => {
      rejectCode = true;
    },
    forgetRefreshTokens: () => refreshTokens.clear(),
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

function send(res: ServerResponse, record: GitHubRequest, status: number, type: string, body: string): void {
  record.status = status;
  res.writeHead(status, { "content-type": type, "cache-control": "no-store" }).end(body);
}

function redirect(res: ServerResponse, record: GitHubRequest, location: string): void {
  record.status = 302;
  res.writeHead(302, { location }).end();
}

function escape(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
