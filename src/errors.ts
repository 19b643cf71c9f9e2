// The one protocol error type. Handlers throw it; the mount's error format (src/http/respond.ts) maps it to the
// endpoint's wire format. `reason` is for logs and events only and never leaves the server.

/** Error codes of RFC 6749 §4.1.2.1 and §5.2, RFC 6750 §3.1, RFC 7591 §3.2.2, RFC 8707 §2 and RFC 7009 §2.2.1. */
export type OAuthErrorCode =
  | "invalid_request"
  | "invalid_client"
  | "invalid_grant"
  | "unauthorized_client"
  | "unsupported_grant_type"
  | "unsupported_response_type"
  | "unsupported_token_type"
  | "invalid_scope"
  | "invalid_target"
  | "access_denied"
  | "server_error"
  | "temporarily_unavailable"
  | "invalid_token"
  | "insufficient_scope"
  | "invalid_redirect_uri"
  | "invalid_client_metadata"
  | "login_required"
  | "consent_required";

const STATUS: Record<OAuthErrorCode, number> = {
  invalid_request: 400,
  invalid_client: 401,
  invalid_grant: 400,
  unauthorized_client: 400,
  unsupported_grant_type: 400,
  unsupported_response_type: 400,
  unsupported_token_type: 400,
  invalid_scope: 400,
  invalid_target: 400,
  access_denied: 403,
  server_error: 500,
  temporarily_unavailable: 503,
  invalid_token: 401,
  insufficient_scope: 403,
  invalid_redirect_uri: 400,
  invalid_client_metadata: 400,
  login_required: 400,
  consent_required: 400,
};

export interface OAuthErrorOptions {
  /** Logged and recorded, never sent (it may name a failed check, never a secret). */
  reason?: string;
  /** Overrides the status derived from the code (e.g. 413 for an oversized body, 429 for a rate limit). */
  status?: number;
  /** Extra response headers (e.g. `Retry-After`). */
  headers?: Record<string, string>;
}

/** A client-caused protocol failure with its RFC code and a description that is safe to send. */
export class OAuthError extends Error {
  readonly code: OAuthErrorCode;
  readonly description: string;
  readonly status: number;
  readonly reason?: string;
  readonly headers: Record<string, string>;

  constructor(code: OAuthErrorCode, description: string, options: OAuthErrorOptions = {}) {
    super(`${code}: ${description}`);
    this.name = "OAuthError";
    this.code = code;
    this.description = description;
    this.status = options.status ?? STATUS[code];
    this.reason = options.reason;
    this.headers = options.headers ?? {};
  }

  /** The RFC 6749 §5.2 JSON body. */
  toJSON(): { error: OAuthErrorCode; error_description: string } {
    return { error: this.code, error_description: this.description };
  }
}

/** An error shown to the human in the browser rather than redirected (invalid client or redirect URI, failed login). */
export class PageError extends Error {
  readonly title: string;
  readonly status: number;
  readonly reason?: string;

  /** A link back to the client the page offers instead of redirecting there itself: its URL and where it leads, in words. */
  readonly returnTo?: { href: string; destination: string };

  constructor(title: string, message: string, options: { status?: number; reason?: string; returnTo?: { href: string; destination: string } } = {}) {
    super(message);
    this.name = "PageError";
    this.title = title;
    this.status = options.status ?? 400;
    this.reason = options.reason;
    this.returnTo = options.returnTo;
  }
}
