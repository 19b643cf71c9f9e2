// A headless "browser" for the OAuth redirect dance without Chromium: fetch with manual redirects, a cookie jar
// with browser rules, and form submission. It drives Gatehouse's consent page, the development IdP's login page and
// oidc-provider's interaction pages alike, and stops at the redirect to the client's redirect URI. Runtime-neutral:
// e2e tests and the bench use the network's fetch, worker tests pass `exports.default.fetch`.
import { CookieJar, siteOf } from "./cookie-jar";
import { type HtmlForm, type SubmitButton, formData, parseForms } from "./html-form";

/** One request the browser made, for assertions and failure messages. */
export interface Step {
  method: "GET" | "POST";
  url: URL;
  status: number;
  /** The Location of a redirect, resolved against `url`. */
  location?: URL;
}

/** A page the browser landed on (a non-redirect response). */
export interface Page {
  url: URL;
  status: number;
  headers: Headers;
  html: string;
}

export interface AuthorizeOptions {
  /** What the person types, by field name, into visible fields the current page has (`email`, `login`, `password`). */
  fill: Record<string, string>;
  /**
   * Submit buttons to prefer, as `name=value` (`decision=approve`, `action=login`) or by their text as
   * `label=<text>` (`label=Approve with GitHub`); otherwise a form's first button.
   */
  choose: string[];
  /**
   * Ends the dance at a redirect to a URL this accepts (the client's redirect URI): the URL is returned without
   * being requested, as a native client intercepts its loopback or custom-scheme redirect.
   */
  stopAt: (url: URL) => boolean;
  /** Request the `stopAt` URL as well (for a client that really listens there, like the conformance suite). */
  visitFinal?: boolean;
  maxSteps?: number;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/** How the browser sends a request: the global fetch by default. */
export type Fetch = (url: string, init: RequestInit) => Promise<Response>;

export class HeadlessBrowser {
  readonly jar = new CookieJar();
  readonly steps: Step[] = [];
  /** Every page shown, in order. */
  readonly pages: Page[] = [];

  constructor(readonly send: Fetch = (url, init) => fetch(url, init)) {}

  /**
   * Opens `start` as a person clicking the client's sign-in link would, then submits each form shown until a
   * redirect reaches a URL `stopAt` accepts, which is returned. Throws, with the steps taken and the last page's
   * text, when a page has no form to submit, answers an error status, or the dance does not end.
   */
  async authorize(start: URL, options: AuthorizeOptions): Promise<URL> {
    const maxSteps = options.maxSteps ?? 20;
    let request: Request = { method: "GET", url: start, initiator: undefined };
    for (let hop = 0; hop < maxSteps; hop++) {
      const result = await this.#navigate(request, options.stopAt);
      if ("final" in result) {
        if (options.visitFinal) await this.#navigate({ method: "GET", url: result.final, initiator: result.initiator, chain: result.chain }, () => false);
        return result.final;
      }
      const page = result.page;
      if (page.status >= 400) throw this.#failure(`${page.url.href} answered ${page.status}`, page);
      const choice = pickForm(parseForms(page.html, page.url), options);
      if (!choice) throw this.#failure(`no form to submit on ${page.url.href}`, page);
      const input = Object.fromEntries(
        Object.entries(options.fill).filter(([name]) => choice.form.fields.some((f) => f.name === name && f.type !== "hidden")),
      );
      const data = formData(choice.form, input, choice.button);
      // A button's formaction overrides its form's action, as in a browser.
      const action = choice.button?.formAction ? new URL(choice.button.formAction, page.url) : choice.form.action;
      request =
        choice.form.method === "POST"
          ? { method: "POST", url: action, body: data, initiator: { url: page.url, referrerPolicy: referrerPolicyOf(page.headers) } }
          : { method: "GET", url: withQuery(action, data), initiator: { url: page.url, referrerPolicy: referrerPolicyOf(page.headers) } };
    }
    throw this.#failure(`no redirect to the client after ${maxSteps} pages`, this.pages.at(-1));
  }

  /** Requests `url` and follows redirects to a page (or to a URL `stopAt` accepts), like a top-level navigation. */
  async open(url: URL): Promise<Page> {
    const result = await this.#navigate({ method: "GET", url, initiator: undefined }, () => false);
    if (!("page" in result)) throw new Error("unreachable: nothing stops an open()");
    return result.page;
  }

  async #navigate(first: Request, stopAt: (url: URL) => boolean): Promise<{ page: Page } | { final: URL; chain: URL[]; initiator: Initiator | undefined }> {
    let request = first;
    // The URLs of this navigation's redirect chain so far: SameSite and Sec-Fetch-Site look at all of them.
    const chain = [...(first.chain ?? [])];
    for (let redirects = 0; redirects < 20; redirects++) {
      const initiator = request.initiator;
      const crossSite = [...(initiator ? [initiator.url] : []), ...chain].some((url) => siteOf(url) !== siteOf(request.url));
      const headers = new Headers({
        Accept: "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8",
        "User-Agent": "gatehouse-e2e-headless",
        "Sec-Fetch-Dest": "document",
        "Sec-Fetch-Mode": "navigate",
        "Sec-Fetch-Site": fetchSite(initiator?.url, [...chain, request.url]),
      });
      if (initiator) headers.set("Sec-Fetch-User", "?1");
      const cookie = this.jar.header(request.url, { crossSite, topLevelGet: request.method === "GET" });
      if (cookie) headers.set("Cookie", cookie);
      const referer = initiator ? referrer(initiator, request.url) : undefined;
      if (referer) headers.set("Referer", referer);
      if (request.method === "POST") {
        headers.set("Content-Type", "application/x-www-form-urlencoded");
        headers.set("Origin", initiator ? serializedOrigin(initiator, request.url) : "null");
      }
      const response = await this.send(request.url.href, { method: request.method, headers, body: request.body, redirect: "manual" });
      this.jar.store(request.url, response.headers.getSetCookie());
      chain.push(request.url);
      const location = response.headers.get("Location");
      const step: Step = { method: request.method, url: request.url, status: response.status };
      this.steps.push(step);
      if (REDIRECTS.has(response.status) && location) {
        await response.body?.cancel();
        const next = new URL(location, request.url);
        step.location = next;
        if (stopAt(next)) return { final: next, chain, initiator };
        if (next.protocol !== "http:" && next.protocol !== "https:") throw this.#failure(`redirect to an unexpected scheme: ${next.protocol}`);
        // 307/308 repeat a POST; 301/302/303 turn it into a GET (as browsers do).
        const keepPost = request.method === "POST" && (response.status === 307 || response.status === 308);
        request = keepPost ? { ...request, url: next } : { method: "GET", url: next, initiator };
        continue;
      }
      const page: Page = { url: request.url, status: response.status, headers: response.headers, html: await response.text() };
      this.pages.push(page);
      return { page };
    }
    throw this.#failure("too many redirects");
  }

  /** An error naming what happened: the steps (no query strings: they carry codes) and the page's visible text. */
  #failure(message: string, page?: Page): Error {
    const steps = this.steps.map((s) => `  ${s.method} ${s.url.origin}${s.url.pathname} → ${s.status}${s.location ? ` ${s.location.origin}${s.location.pathname}` : ""}`).join("\n");
    const refused = this.jar.refused.map((r) => `  refused cookie ${r.header}: ${r.reason}`).join("\n");
    const text = page ? `\npage text: ${visibleText(page.html).slice(0, 800)}` : "";
    return new Error(`headless browser: ${message}\nsteps:\n${steps}${refused ? `\n${refused}` : ""}${text}`);
  }
}

interface Request {
  method: "GET" | "POST";
  url: URL;
  body?: URLSearchParams;
  /** The page whose form started this navigation; undefined when typed or opened by an app. */
  initiator: Initiator | undefined;
  chain?: URL[];
}

/** The page a navigation started from, with the referrer policy it was served with. */
interface Initiator {
  url: URL;
  /** The effective `Referrer-Policy` (its last recognised token); browsers default to strict-origin-when-cross-origin. */
  referrerPolicy: string;
}

const REFERRER_POLICIES = new Set(["no-referrer", "no-referrer-when-downgrade", "same-origin", "origin", "strict-origin", "origin-when-cross-origin", "strict-origin-when-cross-origin", "unsafe-url"]);

/** @see https://w3c.github.io/webappsec-referrer-policy/#parse-referrer-policy-from-header */
function referrerPolicyOf(headers: Headers): string {
  const tokens = (headers.get("Referrer-Policy") ?? "").split(",").map((t) => t.trim().toLowerCase());
  return tokens.filter((t) => REFERRER_POLICIES.has(t)).at(-1) ?? "strict-origin-when-cross-origin";
}

function isDowngrade(from: URL, to: URL): boolean {
  return from.protocol === "https:" && to.protocol !== "https:";
}

/**
 * The `Origin` a browser sends on a form POST: "null" when the page's referrer policy withholds it (Chrome and
 * Firefox do this, e.g. under `no-referrer`), which CSRF checks that compare Origin must survive.
 * @see https://fetch.spec.whatwg.org/#serializing-a-request-origin
 */
function serializedOrigin(initiator: Initiator, target: URL): string {
  const origin = initiator.url.origin;
  switch (initiator.referrerPolicy) {
    case "no-referrer":
      return "null";
    case "no-referrer-when-downgrade":
    case "strict-origin":
    case "strict-origin-when-cross-origin":
      return isDowngrade(initiator.url, target) ? "null" : origin;
    case "same-origin":
      return origin === target.origin ? origin : "null";
    default:
      return origin;
  }
}

/** The `Referer` a browser sends under the page's referrer policy. @see https://w3c.github.io/webappsec-referrer-policy/#determine-requests-referrer */
function referrer(initiator: Initiator, target: URL): string | undefined {
  const full = new URL(initiator.url);
  full.hash = "";
  const originOnly = `${initiator.url.origin}/`;
  const sameOrigin = initiator.url.origin === target.origin;
  switch (initiator.referrerPolicy) {
    case "no-referrer":
      return undefined;
    case "no-referrer-when-downgrade":
      return isDowngrade(initiator.url, target) ? undefined : full.href;
    case "same-origin":
      return sameOrigin ? full.href : undefined;
    case "origin":
      return originOnly;
    case "strict-origin":
      return isDowngrade(initiator.url, target) ? undefined : originOnly;
    case "origin-when-cross-origin":
      return sameOrigin ? full.href : originOnly;
    case "unsafe-url":
      return full.href;
    default:
      if (sameOrigin) return full.href;
      return isDowngrade(initiator.url, target) ? undefined : originOnly;
  }
}

/** @see https://w3c.github.io/webappsec-fetch-metadata/#sec-fetch-site-header */
function fetchSite(initiator: URL | undefined, urls: URL[]): string {
  if (!initiator) return "none";
  if (urls.every((url) => url.origin === initiator.origin)) return "same-origin";
  if (urls.every((url) => siteOf(url) === siteOf(initiator))) return "same-site";
  return "cross-site";
}

/** The form to submit and the button to press: a preferred button wins, else the first form with a button. */
function pickForm(forms: HtmlForm[], options: AuthorizeOptions): { form: HtmlForm; button: SubmitButton | undefined } | undefined {
  for (const wanted of options.choose) {
    for (const form of forms) {
      const button = form.buttons.find((b) => (b.name !== undefined && `${b.name}=${b.value}` === wanted) || `label=${b.label}` === wanted);
      if (button) return { form, button };
    }
  }
  const fillable = forms.find((form) => form.fields.some((f) => f.type !== "hidden" && f.name in options.fill)) ?? forms.find((form) => form.buttons.length > 0);
  return fillable ? { form: fillable, button: fillable.buttons[0] } : undefined;
}

function withQuery(action: URL, data: URLSearchParams): URL {
  const url = new URL(action);
  url.search = data.toString();
  return url;
}

/** A page's text without tags, scripts or styles, whitespace collapsed. */
export function visibleText(html: string): string {
  return html
    .replace(/<(script|style)\b[\s\S]*?<\/\1\s*>/gi, " ")
    .replace(/<[^>]+>/g, " ")
    .replace(/\s+/g, " ")
    .trim();
}
