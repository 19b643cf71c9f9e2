// A headless MCP OAuth client: the SDK's OAuthClientProvider kept in memory, whose "open the browser" step drives
// the headless browser to the client's loopback redirect URI and checks the authorization response like a careful
// client (state, and `iss` per RFC 9207) before handing the code back.
import type { OAuthClientProvider, OAuthDiscoveryState } from "@modelcontextprotocol/sdk/client/auth.js";
import type { OAuthClientInformationMixed, OAuthClientMetadata, OAuthTokens } from "@modelcontextprotocol/sdk/shared/auth.js";
import { randomBytes } from "node:crypto";
import { type AuthorizeOptions, HeadlessBrowser } from "../support/browser";

/** A fetch that records every request, so tests can assert the discovery and registration sequence. */
export function recordingFetch(log: RecordedRequest[]): typeof fetch {
  return async (input, init) => {
    const request = new Request(input, init);
    const response = await fetch(request);
    log.push({ method: request.method, url: new URL(request.url), status: response.status, headers: response.headers });
    return response;
  };
}

export interface RecordedRequest {
  method: string;
  url: URL;
  status: number;
  headers: Headers;
}

export interface HeadlessClientOptions {
  /** Where the authorization server sends the browser back; never listened on: the browser stops at it. */
  redirectUrl: string;
  clientName: string;
  /** What the person types and presses in the browser (see `AuthorizeOptions`); without it the URL is only recorded. */
  browse?: Pick<AuthorizeOptions, "fill" | "choose">;
  /** The authorization server's issuer: the `iss` the authorization response must carry. */
  expectedIssuer: string;
}

/** Everything the SDK asked the provider to keep, in memory, plus what the tests inspect. */
export class HeadlessOAuthClient implements OAuthClientProvider {
  readonly browser = new HeadlessBrowser();
  /** Each client registration the SDK saved (the first is the DCR response). */
  readonly savedClients: OAuthClientInformationMixed[] = [];
  readonly authorizationUrls: URL[] = [];
  /** The redirects to `redirectUrl` the browser ended on. */
  readonly callbacks: URL[] = [];
  /** The authorization code of the last completed browser dance. */
  code?: string;
  #client?: OAuthClientInformationMixed;
  #tokens?: OAuthTokens;
  #verifier?: string;
  #state?: string;
  #discovery?: OAuthDiscoveryState;

  constructor(readonly options: HeadlessClientOptions) {}

  get redirectUrl(): string {
    return this.options.redirectUrl;
  }

  get clientMetadata(): OAuthClientMetadata {
    return {
      client_name: this.options.clientName,
      redirect_uris: [this.options.redirectUrl],
      grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"],
      token_endpoint_auth_method: "none",
    };
  }

  state(): string {
    this.#state = randomBytes(16).toString("base64url");
    return this.#state;
  }

  clientInformation(): OAuthClientInformationMixed | undefined {
    return this.#client;
  }

  saveClientInformation(info: OAuthClientInformationMixed): void {
    this.#client = info;
    this.savedClients.push(info);
  }

  tokens(): OAuthTokens | undefined {
    return this.#tokens;
  }

  saveTokens(tokens: OAuthTokens): void {
    this.#tokens = tokens;
  }

  saveCodeVerifier(verifier: string): void {
    this.#verifier = verifier;
  }

  codeVerifier(): string {
    if (!this.#verifier) throw new Error("no code verifier saved");
    return this.#verifier;
  }

  saveDiscoveryState(state: OAuthDiscoveryState): void {
    this.#discovery = state;
  }

  discoveryState(): OAuthDiscoveryState | undefined {
    return this.#discovery;
  }

  /** "Opens the browser": signs in headlessly and keeps the code from the redirect back to the client. */
  async redirectToAuthorization(authorizationUrl: URL): Promise<void> {
    this.authorizationUrls.push(authorizationUrl);
    if (!this.options.browse) return;
    const redirect = new URL(this.options.redirectUrl);
    const callback = await this.browser.authorize(authorizationUrl, {
      ...this.options.browse,
      stopAt: (url) => url.origin === redirect.origin && url.pathname === redirect.pathname,
    });
    this.callbacks.push(callback);
    const params = callback.searchParams;
    if (params.get("iss") !== this.options.expectedIssuer) throw new Error(`authorization response iss is ${params.get("iss")}, expected ${this.options.expectedIssuer}`);
    if (params.get("state") !== this.#state) throw new Error("authorization response state does not match the request");
    const error = params.get("error");
    if (error) throw new Error(`authorization failed: ${error} ${params.get("error_description") ?? ""}`);
    const code = params.get("code");
    if (!code) throw new Error("authorization response has no code");
    this.code = code;
  }
}
