// The Worker bundle's size as Cloudflare would receive it: `wrangler deploy --dry-run --outdir`, raw and gzip.
// Cold starts grow with the bundle; the budget is checked by test/e2e/bundle-size.test.ts.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { WRANGLER_ENV } from "../test/support/node/wrangler-dev";

/** The most gzip bytes the Gatehouse Worker may upload (issue 5; 250 KiB since issue 17, minified). */
export const BUNDLE_BUDGET_GZIP = 250 * 1024;

export interface BundleSize {
  /** The uploaded modules (source maps and wrangler's README excluded). */
  files: string[];
  bytes: number;
  gzipBytes: number;
}

/** Bundles the Worker of `configPath` (default: ./wrangler.jsonc, its deployable top level) without deploying it and measures the upload. */
export function measureBundle(configPath?: string): BundleSize {
  const outdir = mkdtempSync(join(tmpdir(), "gatehouse-bundle-"));
  try {
    const args = ["wrangler", "deploy", "--dry-run", "--outdir", outdir, ...(configPath ? ["-c", configPath] : [])];
    const run = spawnSync("npx", args, { env: { ...process.env, ...WRANGLER_ENV }, encoding: "utf8" });
    if (run.status !== 0) throw new Error(`wrangler deploy --dry-run failed:\n${run.stderr || run.stdout}`);
    const files = readdirSync(outdir).filter((name) => /\.(m?js|wasm)$/.test(name));
    let bytes = 0;
    let gzipBytes = 0;
    for (const name of files) {
      const content = readFileSync(join(outdir, name));
      bytes += content.length;
      gzipBytes += gzipSync(content).length;
    }
    return { files, bytes, gzipBytes };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

/** `1234.5 KiB` */
export function kib(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KiB`;
}
