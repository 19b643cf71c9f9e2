// The one way a section of the configuration reads its variables: trimmed, checked against their bounds, and every
// bad value kept as a problem named by its variable, so the 503 and the log say exactly what to fix.
import type * as z from "zod";
import type { ConfigVars } from "../env";
import { parseUrl } from "../lib/url";

/** A bad or missing variable; while any is left, the flow endpoints answer 503 with its message. */
export interface ConfigProblem {
  variable: string;
  message: string;
}

/** Reads raw variables for the section readers, collecting their problems and warnings in one list each; never throws. */
export class Reader {
  readonly problems: ConfigProblem[] = [];
  readonly warnings: string[] = [];

  constructor(private readonly vars: ConfigVars) {}

  problem(variable: keyof ConfigVars, message: string): void {
    this.problems.push({ variable, message });
  }

  warn(message: string): void {
    this.warnings.push(message);
  }

  /** The value with surrounding whitespace removed; unset and blank are both `undefined`. */
  text(variable: keyof ConfigVars): string | undefined {
    const value: unknown = this.vars[variable];
    if (typeof value !== "string") return undefined;
    const trimmed = value.trim();
    return trimmed === "" ? undefined : trimmed;
  }

  /** `true`/`1`/`yes` or `false`/`0`/`no`, any case (scripts/deploy-checks.mjs reads the same spellings). */
  flag(variable: keyof ConfigVars, fallback: boolean): boolean {
    const raw = this.text(variable);
    if (raw === undefined) return fallback;
    if (/^(true|1|yes)$/i.test(raw)) return true;
    if (/^(false|0|no)$/i.test(raw)) return false;
    this.problem(variable, "must be true or false");
    return fallback;
  }

  /** A whole number from `min` to `max` (seconds, days or a count); out of bounds, the default stands. */
  bounded(variable: keyof ConfigVars, fallback: number, min: number, max: number): number {
    const raw = this.text(variable);
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min || value > max) {
      this.problem(variable, `must be a whole number from ${min} to ${max}`);
      return fallback;
    }
    return value;
  }

  /** One of `choices`, any case; anything else is a problem and the default stands. */
  choice<T extends string>(variable: keyof ConfigVars, choices: readonly T[], fallback: T): T {
    const raw = this.text(variable)?.toLowerCase();
    if (raw === undefined) return fallback;
    const chosen = choices.find((c) => c === raw);
    if (chosen === undefined) this.problem(variable, `must be one of ${choices.join(", ")}`);
    return chosen ?? fallback;
  }

  /** An absolute http(s) URL as written; anything else is a problem and reads as unset. */
  url(variable: keyof ConfigVars): string | undefined {
    const raw = this.text(variable);
    if (raw === undefined) return undefined;
    if (!isHttpUrl(raw)) {
      this.problem(variable, "must be an absolute http(s) URL");
      return undefined;
    }
    return raw;
  }

  /** A JSON value checked by `schema`; the problem quotes zod's first issue with its path (`what` names the shape). */
  json<T>(variable: keyof ConfigVars, schema: z.ZodType<T>, what: string): T | undefined {
    const raw = this.text(variable);
    if (raw === undefined) return undefined;
    const parsed = schema.safeParse(safeJson(raw));
    if (parsed.success) return parsed.data;
    const issue = parsed.error.issues[0];
    this.problem(variable, `must be ${what} (${issue ? `${issue.path.join(".") || "value"}: ${issue.message}` : "invalid"})`);
    return undefined;
  }
}

/** True for the hosts RFC 8252 §7.3 and §8.3 treat as loopback. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase();
  return host === "localhost" || host === "[::1]" || host === "::1" || /^127(\.\d{1,3}){3}$/.test(host);
}

/** True for an absolute URL with the http or https scheme. */
export function isHttpUrl(value: string): boolean {
  const parsed = parseUrl(value);
  return parsed !== undefined && (parsed.protocol === "https:" || parsed.protocol === "http:");
}

function safeJson(value: string): unknown {
  try {
    return JSON.parse(value);
  } catch {
    return undefined;
  }
}
