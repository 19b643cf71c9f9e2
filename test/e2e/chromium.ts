// Headless Chromium for the page tests, driven by playwright-core. The browser comes from `CHROMIUM_PATH`, else a
// system Chromium, else the one `npm install` brought: @sparticuz/chromium ships a headless Chromium inside the npm
// package (brotli-compressed, with the NSS libraries it links against), so nothing is downloaded at install or run time.
import { createReadStream, createWriteStream, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { fileURLToPath } from "node:url";
import { createBrotliDecompress } from "node:zlib";
import { type Browser, chromium } from "playwright-core";

/** Where a Debian or Ubuntu package puts Chromium. */
export const SYSTEM_CHROMIUM = ["/usr/bin/chromium", "/usr/bin/chromium-browser"];
export const NPM_CHROMIUM = "@sparticuz/chromium";

// Without the background-networking flags Chromium's own connections are refused on a closed network and slow it
// down; --no-sandbox because the tests run as root in CI, where Chromium's sandbox refuses to start.
const CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

/** Whether the npm package's browser is there and runs on this platform (its binary is built for x86-64 Linux). */
export type NpmChromiumState = "installed" | "absent" | "unsupported";

export type ChromiumChoice = { source: "CHROMIUM_PATH" | "system"; path: string } | { source: "npm" } | { source: "missing"; message: string };

/**
 * Which Chromium the page tests launch: `CHROMIUM_PATH` when set (and it must exist), else the first system Chromium
 * of `systemPaths`, else the npm package's when it is installed. Never "skip": a missing browser says what to do.
 */
export function chooseChromium(env: { CHROMIUM_PATH?: string }, exists: (path: string) => boolean, systemPaths: readonly string[], npm: NpmChromiumState): ChromiumChoice {
  if (env.CHROMIUM_PATH) {
    if (exists(env.CHROMIUM_PATH)) return { source: "CHROMIUM_PATH", path: env.CHROMIUM_PATH };
    return { source: "missing", message: `CHROMIUM_PATH is ${env.CHROMIUM_PATH}, which does not exist: point it at a Chromium executable, or unset it to use the one npm install brings (${NPM_CHROMIUM}).` };
  }
  const system = systemPaths.find(exists);
  if (system) return { source: "system", path: system };
  if (npm === "installed") return { source: "npm" };
  if (npm === "unsupported") return { source: "missing", message: `No Chromium for the page tests: the one ${NPM_CHROMIUM} ships runs on x86-64 Linux only; set CHROMIUM_PATH to a Chromium or Chrome executable. This test does not skip.` };
  return { source: "missing", message: `No Chromium for the page tests: run npm install (it brings ${NPM_CHROMIUM}, a devDependency), or set CHROMIUM_PATH to a Chromium executable. This test does not skip.` };
}

interface NpmChromium {
  executable: string;
  /** The environment the bundled binary needs: its NSS libraries and a fontconfig with the bundled font. */
  env: Record<string, string>;
}

/** The package's directory (a devDependency, so always at the top of node_modules), or undefined when not installed. */
function npmChromiumDir(): string | undefined {
  const dir = fileURLToPath(new URL(`../../node_modules/${NPM_CHROMIUM}`, import.meta.url));
  return existsSync(join(dir, "bin", "chromium.br")) ? dir : undefined;
}

/**
 * Unpacks the package's browser once per version into node_modules/.cache (its own code unpacks into the shared
 * /tmp and only sets the library path on AWS Lambda). Unpacked beside, then renamed, so a run stopped half-way never
 * leaves a broken browser behind.
 */
async function unpackNpmChromium(dir: string): Promise<NpmChromium> {
  const { version } = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { version: string };
  const target = join(dir, "..", "..", ".cache", "gatehouse-chromium", version);
  const result = (root: string): NpmChromium => ({
    executable: join(root, "chromium"),
    env: { LD_LIBRARY_PATH: [join(root, "lib"), process.env.LD_LIBRARY_PATH].filter(Boolean).join(":"), FONTCONFIG_PATH: join(root, "fontconfig") },
  });
  if (existsSync(join(target, "chromium"))) return result(target);
  const partial = `${target}.partial-${process.pid}`;
  rmSync(partial, { recursive: true, force: true });
  mkdirSync(join(partial, "fontconfig"), { recursive: true });
  const bin = join(dir, "bin");
  const { extract } = createRequire(join(dir, "package.json"))("tar-fs") as { extract: (cwd: string) => NodeJS.WritableStream };
  await Promise.all([
    pipeline(createReadStream(join(bin, "chromium.br")), createBrotliDecompress(), createWriteStream(join(partial, "chromium"), { mode: 0o755 })),
    // lib/: libnss3, libnspr4, libexpat and friends, as the binary was linked on Amazon Linux 2023.
    pipeline(createReadStream(join(bin, "al2023.tar.br")), createBrotliDecompress(), extract(partial)),
    pipeline(createReadStream(join(bin, "fonts.tar.br")), createBrotliDecompress(), extract(join(partial, "fontconfig"))),
  ]);
  // The package's fonts.conf names Lambda's folders; this one names the unpacked font and the system's fonts.
  writeFileSync(
    join(partial, "fontconfig", "fonts.conf"),
    `<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>\n  <dir>${join(target, "fontconfig", "fonts")}</dir>\n  <dir>/usr/share/fonts</dir>\n  <cachedir>${join(target, "fontconfig", "cache")}</cachedir>\n</fontconfig>\n`,
  );
  try {
    renameSync(partial, target);
  } catch (error) {
    // Another test process unpacked the same version first.
    rmSync(partial, { recursive: true, force: true });
    if (!existsSync(join(target, "chromium"))) throw error;
  }
  return result(target);
}

/** The executable and extra environment of the Chromium `chooseChromium` picks here; throws the "what to do" message. */
export async function resolveChromium(systemPaths: readonly string[] = SYSTEM_CHROMIUM): Promise<{ source: ChromiumChoice["source"]; executable: string; env: Record<string, string> }> {
  const dir = npmChromiumDir();
  const npm: NpmChromiumState = dir === undefined ? "absent" : process.platform === "linux" && process.arch === "x64" ? "installed" : "unsupported";
  const choice = chooseChromium(process.env, existsSync, systemPaths, npm);
  if (choice.source === "missing") throw new Error(choice.message);
  if (choice.source !== "npm") return { source: choice.source, executable: choice.path, env: {} };
  return { source: "npm", ...(await unpackNpmChromium(dir!)) };
}

/** Launches headless Chromium; fails (never skips) when there is none. */
export async function launchChromium(systemPaths: readonly string[] = SYSTEM_CHROMIUM): Promise<Browser> {
  const { executable, env } = await resolveChromium(systemPaths);
  return chromium.launch({ executablePath: executable, args: CHROMIUM_ARGS, env: { ...process.env, ...env } as Record<string, string> });
}
