// The page tests' browser arrives with `npm install` (issue 13 item 1): with CHROMIUM_PATH unset and no system Chromium
// (the system paths hidden here, so this holds on a machine that has /usr/bin/chromium too), the Chromium shipped
// inside the @sparticuz/chromium package is unpacked and launched; a missing browser is a failure that says what to do.
import { readFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { NPM_CHROMIUM, SYSTEM_CHROMIUM, chooseChromium, launchChromium, resolveChromium } from "./chromium";

const npmVersion = (JSON.parse(readFileSync(new URL(`../../node_modules/${NPM_CHROMIUM}/package.json`, import.meta.url), "utf8")) as { version: string }).version;

describe("choosing the page tests' Chromium", () => {
  const none = () => false;
  const only = (path: string) => (p: string) => p === path;

  it("takes CHROMIUM_PATH first, then a system Chromium, then the npm package's", () => {
    expect(chooseChromium({ CHROMIUM_PATH: "/opt/chrome" }, () => true, SYSTEM_CHROMIUM, "installed")).toEqual({ source: "CHROMIUM_PATH", path: "/opt/chrome" });
    expect(chooseChromium({}, only("/usr/bin/chromium"), SYSTEM_CHROMIUM, "installed")).toEqual({ source: "system", path: "/usr/bin/chromium" });
    expect(chooseChromium({}, none, SYSTEM_CHROMIUM, "installed")).toEqual({ source: "npm" });
    expect(chooseChromium({ CHROMIUM_PATH: "" }, none, SYSTEM_CHROMIUM, "installed")).toEqual({ source: "npm" });
  });

  it("fails with what to do when CHROMIUM_PATH names nothing, rather than falling back", () => {
    expect(chooseChromium({ CHROMIUM_PATH: "/nowhere/chromium" }, only("/usr/bin/chromium"), SYSTEM_CHROMIUM, "installed")).toEqual({
      source: "missing",
      message: "CHROMIUM_PATH is /nowhere/chromium, which does not exist: point it at a Chromium executable, or unset it to use the one npm install brings (@sparticuz/chromium).",
    });
  });

  it("fails with what to do where the npm package's browser cannot run (it is built for x86-64 Linux)", () => {
    expect(chooseChromium({}, none, SYSTEM_CHROMIUM, "unsupported")).toEqual({
      source: "missing",
      message: "No Chromium for the page tests: the one @sparticuz/chromium ships runs on x86-64 Linux only; set CHROMIUM_PATH to a Chromium or Chrome executable. This test does not skip.",
    });
  });

  it("fails with what to do when there is no browser at all", () => {
    expect(chooseChromium({}, none, SYSTEM_CHROMIUM, "absent")).toEqual({
      source: "missing",
      message: "No Chromium for the page tests: run npm install (it brings @sparticuz/chromium, a devDependency), or set CHROMIUM_PATH to a Chromium executable. This test does not skip.",
    });
  });
});

describe("the Chromium npm install brings", () => {
  const previous = process.env.CHROMIUM_PATH;
  afterEach(() => {
    if (previous === undefined) delete process.env.CHROMIUM_PATH;
    else process.env.CHROMIUM_PATH = previous;
  });

  it("is the one launched where CHROMIUM_PATH is unset and no system Chromium exists, and it renders and clicks", async () => {
    delete process.env.CHROMIUM_PATH;
    const resolved = await resolveChromium([]);
    expect(resolved.source).toBe("npm");
    expect(resolved.executable).toBe(new URL(`../../node_modules/.cache/gatehouse-chromium/${npmVersion}/chromium`, import.meta.url).pathname);
    const browser = await launchChromium([]);
    try {
      // The package's major version is the Chromium major it ships.
      expect(browser.version().split(".")[0]).toBe(npmVersion.split(".")[0]);
      const page = await browser.newPage();
      await page.setContent(`<button onclick="document.title = 'clicked'">Approve</button>`);
      await page.getByRole("button", { name: "Approve" }).click();
      expect(await page.title()).toBe("clicked");
    } finally {
      await browser.close();
    }
  });
});
