// The worker tests' browser: requests through `exports.default.fetch` (or the Worker's `fetch` with another environment),
// manual redirects, the shared cookie jar and form reader (test/support/), and a form submission step a test can
// drive and inspect one page at a time.
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import type { Env } from "../../../src/env";
import worker from "../../../src/worker";
import type { Fetch } from "../../support/browser";
import { CookieJar } from "../../support/cookie-jar";
import { parseForms } from "../../support/html-form";
import type { Target } from "../../support/oauth";

export const BASE = "http://localhost:8787";

/**
 * Requests into the Worker under test: `exports.default.fetch`, or with `target`, the Worker's own `fetch` with that
 * environment (another configuration) and an execution context whose `waitUntil` work is awaited before answering.
 */
export function workerFetch(target?: Env): Fetch {
  if (!target) return (url, init) => exports.default.fetch(url, init);
  return async (url, init) => {
    const ctx = createExecutionContext();
    const res = await worker.fetch(new Request(url, init), target, ctx);
    await waitOnExecutionContext(ctx);
    return res;
  };
}

/** The Worker under test as a sign-in target (test/support/oauth.ts). */
export function workerTarget(target?: Env): Target {
  return { base: BASE, fetch: workerFetch(target) };
}

/** The first form of a page as the worker tests read it: where it posts, its hidden inputs, and its submit buttons. */
export interface PageForm {
  action: string;
  hidden: [string, string][];
  buttons: { name: string; value: string; formaction?: string }[];
}

/** The first `<form>` of a page. */
export function parseForm(html: string, base = BASE): PageForm {
  const form = parseForms(html, new URL(base))[0];
  if (!form) throw new Error("the page has no form");
  return {
    action: form.action.href,
    hidden: form.fields.filter((f) => f.type === "hidden").map((f): [string, string] => [f.name, f.value]),
    buttons: form.buttons.map((b) => ({ name: b.name ?? "", value: b.value, formaction: b.formAction })),
  };
}

/** A browser for one person: cookies kept by the shared jar, redirects returned rather than followed. */
export class Browser {
  readonly jar = new CookieJar();
  readonly #send: Fetch;

  /** With `target`, requests go to the Worker's `fetch` with that environment (another configuration), awaiting its background work. */
  constructor(target?: Env) {
    this.#send = workerFetch(target);
  }

  /** The value of the cookie `name` this browser holds. */
  cookie(name: string): string | undefined {
    return this.jar.all().find((c) => c.name === name)?.value;
  }

  /** Stores (or replaces) the cookie `name` as Gatehouse sets its `__Host-` cookies, for tests that copy or alter one. */
  setCookie(name: string, value: string): void {
    this.jar.store(new URL(BASE), [`${name}=${value}; Path=/; Secure; HttpOnly; SameSite=Lax`]);
  }

  /** One request (no redirect following), sending and then storing cookies. */
  async fetch(url: string, init: RequestInit = {}): Promise<Response> {
    const target = new URL(url);
    const headers = new Headers(init.headers);
    const cookie = this.jar.header(target, { crossSite: false, topLevelGet: true });
    if (cookie && !headers.has("Cookie")) headers.set("Cookie", cookie);
    const res = await this.#send(url, { ...init, headers, redirect: "manual" });
    this.jar.store(target, res.headers.getSetCookie());
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
