// What `npm run deploy` checks before it ships (scripts/deploy.mjs): pure functions of the configuration and of
// wrangler's output, each problem naming the variable or setting to fix. Tests: test/node/deploy.test.ts.

/** The `database_id` wrangler.jsonc ships with; a deploy with it would bind no real database. */
export const PLACEHOLDER_DATABASE_ID = "00000000-0000-0000-0000-000000000000";

/** The spellings src/config/reader.ts reads as true. */
const TRUE = /^(true|1|yes)$/i;

/**
 * Problems with the variables a deploy ships (`vars` of wrangler.jsonc and `--var`); `secrets` are the names set
 * with `wrangler secret put`, which count as set (values unseen).
 * @returns {{ variable: string, message: string }[]}
 */
export function checkVars(vars, secrets = []) {
  const problems = [];
  const set = (name) => (typeof vars[name] === "string" && vars[name].trim() !== "") || secrets.includes(name);
  const publicUrl = typeof vars.PUBLIC_URL === "string" ? vars.PUBLIC_URL.trim() : "";
  if (publicUrl === "") {
    problems.push({ variable: "PUBLIC_URL", message: "is not set: set it to the https origin clients will use, e.g. --var PUBLIC_URL:https://auth.example.com" });
  } else if (!isHttpsOrigin(publicUrl)) {
    problems.push({ variable: "PUBLIC_URL", message: `must be an https origin with no path, e.g. https://auth.example.com (it is ${JSON.stringify(publicUrl)})` });
  }
  if (!set("UPSTREAMS")) {
    if (!set("UPSTREAM_ISSUER")) {
      problems.push({ variable: "UPSTREAM_ISSUER", message: "is not set: configure an identity provider with UPSTREAM_ISSUER and UPSTREAM_CLIENT_ID, or UPSTREAMS" });
    } else if (!set("UPSTREAM_CLIENT_ID")) {
      problems.push({ variable: "UPSTREAM_CLIENT_ID", message: "is required with UPSTREAM_ISSUER" });
    }
  }
  if (typeof vars.DEV_IDP === "string" && TRUE.test(vars.DEV_IDP.trim())) {
    problems.push({ variable: "DEV_IDP", message: "is on: the development IdP lets anyone sign in as any email; remove it from what you deploy" });
  }
  return problems;
}

/** Problems with the D1 binding `DB` of the configuration being deployed. */
export function checkDatabase(d1Databases = []) {
  const db = d1Databases.find((d) => d.binding === "DB");
  if (!db) return [{ variable: "d1_databases", message: "has no binding DB" }];
  if (!db.database_id || db.database_id === PLACEHOLDER_DATABASE_ID) {
    return [{ variable: "database_id", message: "is still the placeholder: run `npx wrangler d1 create gatehouse` and put the id it prints into wrangler.jsonc" }];
  }
  return [];
}

/**
 * Reads the result of `wrangler d1 migrations list DB --remote`.
 * @param {{ status: number | null, stdout: string, stderr: string, error?: Error }} result
 * @returns {{ state: "applied" } | { state: "pending", names: string[] } | { state: "unknown", reason: string }}
 */
export function readMigrationList(result) {
  if (result.error) return { state: "unknown", reason: result.error.message };
  const output = `${result.stdout}\n${result.stderr}`;
  if (result.status !== 0) return { state: "unknown", reason: lastError(output) ?? `wrangler exited with status ${result.status}` };
  if (/No migrations to apply/.test(result.stdout)) return { state: "applied" };
  const names = [...result.stdout.matchAll(/\b(\d+_[\w.-]+\.sql)\b/g)].map((m) => m[1]);
  if (/Migrations to be applied/.test(result.stdout) && names.length > 0) return { state: "pending", names };
  return { state: "unknown", reason: "wrangler's answer was not understood" };
}

/** The problem a migration listing reports, if any. */
export function checkMigrations(listing) {
  if (listing.state === "applied") return [];
  if (listing.state === "pending") {
    return [{ variable: "migrations", message: `${listing.names.join(", ")} not applied to the remote database: run \`npx wrangler d1 migrations apply DB --remote\`` }];
  }
  return [{ variable: "migrations", message: `could not be checked (${listing.reason}); run \`npx wrangler d1 migrations list DB --remote\` once it can reach Cloudflare` }];
}

/** The `--var KEY:VALUE`, `--env` and `--config` of the arguments passed through to `wrangler deploy`. */
export function parseDeployArgs(argv) {
  const vars = {};
  let env;
  let config;
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = splitFlag(argv[i]);
    if (flag === "--var") {
      const values = inline !== undefined ? [inline] : [];
      while (inline === undefined && i + 1 < argv.length && !argv[i + 1].startsWith("-")) values.push(argv[++i]);
      for (const value of values) {
        const colon = value.indexOf(":");
        if (colon > 0) vars[value.slice(0, colon)] = value.slice(colon + 1);
      }
    } else if (flag === "--env" || flag === "-e") {
      env = inline ?? argv[++i];
    } else if (flag === "--config" || flag === "-c") {
      config = inline ?? argv[++i];
    }
  }
  return { vars, env, config };
}

/** The MCP URL clients are given: PUBLIC_URL/mcp (the resource of RFC 9728 §3.3). */
export function clientUrl(publicUrl) {
  return `${new URL(publicUrl).origin}/mcp`;
}

function isHttpsOrigin(value) {
  try {
    const url = new URL(value);
    return url.protocol === "https:" && url.pathname === "/" && !url.search && !url.hash && !url.username && !url.password;
  } catch {
    return false;
  }
}

function splitFlag(arg) {
  const eq = arg.indexOf("=");
  return arg.startsWith("--") && eq > 0 ? [arg.slice(0, eq), arg.slice(eq + 1)] : [arg, undefined];
}

function lastError(output) {
  // wrangler's own error line, without its colour codes.
  const plain = output.replace(/\u001b\[[0-9;]*m/g, "");
  return /\[ERROR\]\s*(.+)/.exec(plain)?.[1]?.trim();
}
