// A small browser for worker tests: a cookie jar, manual redirects, and generic HTML form submission through
// `exports.default.fetch`, so the authorization flow runs exactly as a person's browser would drive it.
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import type { Env } from "../../../src/env";
import worker from "../../../src/worker";

export const BASE = "http://localhost:8787";

/** A parsed HTML form: where it posts, its hidden inputs, and its submit buttons. */
export interface HtmlForm {
  action: string;
  hidden: [string, string][];
  buttons: { name: string; value: string; formaction?: string }[];
}

function decode(value: string): string {
  return value.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
}

function attribute(tag: string, name: string): string | undefined {
  const match = new RegExp(`\\s${name}="([^"]*)"`).exec(tag);
  return match?.[1] === undefined ? undefined : decode(match[1]);
}

/** The first `<form>` of a page. */
export function parseForm(html: string, base = BASE): HtmlForm {
  const form = /<form\b[^>]*>([\s\S]*?)<\/form>/.exec(html);
  if (!form) throw new Error("the page has no form");
  const open = /<form\b[^>]*>/.exec(form[0])?.[0] ?? "";
  const body = form[1] ?? "";
  const hidden = [...body.matchAll(/<input\b[^>]*>/g)]
    .map((m) => m[0])
    .filter((tag) => attribute(tag, "type") === "hidden")
    .map((tag): [string, string] => [attribute(tag, "name") ?? "", attribute(tag, "value") ?? ""]);
  const buttons = [...body.matchAll(/<button\b[^>]*>/g)].map((m) => ({
    name: attribute(m[0], "name") ?? "",
    value: attribute(m[0], "value") ?? "",
    formaction: attribute(m[0], "formaction"),
  }));
  return { action: new URL(attribute(open, "action") ?? "", base).href, hidden, buttons };
}

/** Cookies by name, as a browser keeps them for one origin (expiry by `Max-Age=0` only). */
export class Browser {
  readonly cookies = new Map<string, string>();

  /** With `target`, requests go to `worker.fetch` with that environment (another configuration), awaiting its background work. */
  constructor(readonly target?: Env) {}

  /** One request (no redirect following), sending and then storing cookies. */
  async fetch(url: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.cookies.size > 0 && !headers.has("Cookie")) headers.set("Cookie", [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; "));
    const request = new Request(url, { ...init, headers, redirect: "manual" });
    const res = this.target ? await this.#callApp(request, this.target) : await exports.default.fetch(request);
    for (const line of res.headers.getAll("Set-Cookie")) {
      const [pair = ""] = line.split(";");
      const eq = pair.indexOf("=");
      const name = pair.slice(0, eq).trim();
      if (/;\s*Max-Age=0\b/i.test(line)) this.cookies.delete(name);
      else this.cookies.set(name, pair.slice(eq + 1).trim());
    }
    return res;
  }

  async #callApp(request: Request, target: Env): Promise<Response> {
    const ctx = createExecutionContext();
    const res = await worker.fetch(request, target, ctx);
    await waitOnExecutionContext(ctx);
    return res;
  }

  /**
   * Submits the page's first form as a browser does when `button` is clicked: its hidden inputs, `fields` typed by
   * the person, and the button's own name/value, to the button's `formaction` or the form's `action`; same-origin
   * headers as a browser sends them.
   */
  async submit(html: string, button: { name: string; value: string }, fields: Record<string, string> = {}, headers: Record<string, string> = {}): Promise<Response> {
    const form = parseForm(html);
    const clicked = form.buttons.find((b) => b.name === button.name && b.value === button.value);
    if (!clicked) throw new Error(`the form has no button ${button.name}=${button.value}`);
    const body = new URLSearchParams([...form.hidden, ...Object.entries(fields), [clicked.name, clicked.value]]);
    const action = clicked.formaction ? new URL(clicked.formaction, form.action).href : form.action;
    return this.fetch(action, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded", Origin: new URL(action).origin, "Sec-Fetch-Site": "same-origin", ...headers },
      body,
    });
  }
}

/** The `Location` of a redirect, asserting that it is one. */
export function location(res: Response): URL {
  const value = res.headers.get("Location");
  if (res.status !== 302 || !value) throw new Error(`expected a 302 redirect, got ${res.status}`);
  return new URL(value);
}
