// The house rule of docs/architecture.md: every import in src/ points down the layers, none sideways into another
// folder of the same layer, and no module reaches itself again through its imports.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";
import { describe, expect, it } from "vitest";

/** Top to bottom; a module may import only from a lower layer, or from its own folder. */
const LAYERS: readonly string[][] = [
  ["worker.ts"],
  ["index.ts"],
  ["gatehouse.ts"],
  ["oauth", "mcp", "dev-idp", "account", "admin", "landing.tsx", "sweep.ts"],
  ["http", "upstream"],
  ["tokens", "ui"],
  ["durable"],
  ["policy", "webhook"],
  ["config", "db"],
  ["lib"],
  ["errors.ts", "identity.ts", "crypto.ts", "env.ts"],
];

const SRC = "src";

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return /\.tsx?$/.test(name) && !/\.test\.tsx?$/.test(name) ? [path] : [];
  });
}

/** The folder (or root file) a module belongs to: its first path segment under src/. */
const home = (file: string) => relative(SRC, file).split("/")[0] ?? file;
const layerOf = (file: string) => LAYERS.findIndex((names) => names.includes(home(file)));

function resolve(from: string, specifier: string): string | undefined {
  const base = normalize(join(dirname(from), specifier));
  for (const candidate of [base, `${base}.ts`, `${base}.tsx`, join(base, "index.ts")]) {
    try {
      if (statSync(candidate).isFile()) return candidate;
    } catch {}
  }
  return undefined;
}

/** Every relative import of `file`, type-only ones included: a type import ties the layers together too. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const specifiers = [...text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+"(\.{1,2}\/[^"]+)"/g)].map((m) => m[1] as string);
  return specifiers.map((s) => resolve(file, s) ?? `${s} (unresolved from ${file})`);
}

const files = sources(SRC);
const graph = new Map(files.map((f) => [f, importsOf(f)]));

describe("the layers of src/", () => {
  it("places every module in a layer", () => {
    expect(files.filter((f) => layerOf(f) < 0)).toEqual([]);
  });

  it("has every import point down a layer, or stay in its own folder", () => {
    const wrong: string[] = [];
    for (const [file, targets] of graph) {
      for (const target of targets) {
        if (home(target) === home(file)) continue;
        if (layerOf(target) <= layerOf(file)) wrong.push(`${file} → ${target}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it("the Durable Objects import neither config nor env", () => {
    // Their TTLs and settings arrive in their transitions' inputs (DESIGN.md "Layout").
    const wrong = [...graph].flatMap(([file, targets]) =>
      home(file) === "durable" ? targets.filter((t) => home(t) === "config" || home(t) === "env.ts").map((t) => `${file} → ${t}`) : [],
    );
    expect(wrong).toEqual([]);
  });

  it("has no import cycle", () => {
    const cycles: string[] = [];
    const state = new Map<string, "open" | "done">();
    const visit = (file: string, path: string[]) => {
      if (state.get(file) === "done") return;
      if (state.get(file) === "open") {
        cycles.push([...path.slice(path.indexOf(file)), file].join(" → "));
        return;
      }
      state.set(file, "open");
      for (const target of graph.get(file) ?? []) visit(target, [...path, file]);
      state.set(file, "done");
    };
    for (const file of files) visit(file, []);
    expect(cycles).toEqual([]);
  });
});
