#!/usr/bin/env node
// A headless "web browser" for clients that open the authorization URL themselves (MCP Inspector's CLI runs
// `xdg-open`, which runs `$BROWSER <url>`): it signs in with test/support/browser.ts's HeadlessBrowser — consent page,
// then the development IdP's login page — and requests the final redirect to the client's loopback callback, so
// the client's own listener receives the code.
//
// Usage: BROWSER="node test/e2e/open-browser.mjs" with, in the environment:
//   GATEHOUSE_E2E_EMAIL       the email typed into the development IdP (required)
//   GATEHOUSE_E2E_NAME        the optional display name
//   GATEHOUSE_E2E_CALLBACK    the client's redirect URI (origin + path) where the dance stops (required)
//   GATEHOUSE_E2E_BROWSER_LOG a file to which one JSON line per run is appended (steps, or the error)
import { appendFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const here = dirname(fileURLToPath(import.meta.url));
const log = process.env.GATEHOUSE_E2E_BROWSER_LOG;
const record = (entry) => {
  if (log) appendFileSync(log, `${JSON.stringify({ at: new Date().toISOString(), ...entry })}\n`);
};

try {
  const target = process.argv[2];
  const email = process.env.GATEHOUSE_E2E_EMAIL;
  const callback = process.env.GATEHOUSE_E2E_CALLBACK;
  if (!target || !email || !callback) throw new Error("usage: open-browser.mjs <url> with GATEHOUSE_E2E_EMAIL and GATEHOUSE_E2E_CALLBACK set");
  // browser.ts (and the cookie jar and form reader it imports) bundled in memory: this script runs under plain node.
  const bundle = await build({ entryPoints: [join(here, "../support/browser.ts")], bundle: true, format: "esm", platform: "node", write: false, logLevel: "silent" });
  const { HeadlessBrowser } = await import(`data:text/javascript;base64,${Buffer.from(bundle.outputFiles[0].text).toString("base64")}`);
  const stop = new URL(callback);
  const browser = new HeadlessBrowser();
  const fill = { email, ...(process.env.GATEHOUSE_E2E_NAME ? { name: process.env.GATEHOUSE_E2E_NAME } : {}) };
  const final = await browser.authorize(new URL(target), {
    fill,
    choose: ["decision=approve", "action=login"],
    stopAt: (url) => url.origin === stop.origin && url.pathname === stop.pathname,
    visitFinal: true,
  });
  const params = final.searchParams;
  record({
    ok: true,
    authorize: `${new URL(target).origin}${new URL(target).pathname}`,
    // No codes or states in the log: only which parameters came back.
    callback: { url: `${final.origin}${final.pathname}`, iss: params.get("iss"), hasCode: params.has("code"), hasState: params.has("state"), error: params.get("error") },
    steps: browser.steps.map((s) => `${s.method} ${s.url.origin}${s.url.pathname} ${s.status}`),
    finalPage: browser.pages.at(-1) ? { status: browser.pages.at(-1).status } : undefined,
  });
} catch (error) {
  record({ ok: false, error: error instanceof Error ? error.message : String(error) });
  process.exitCode = 1;
}
