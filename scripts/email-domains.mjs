// Loads the free-mail and disposable email domain lists into D1 `email_domains` for EMAIL_POLICY=work: the pinned
// npm packages `email-providers` (all.json) and `disposable-email-domains-js` (github disposable-email-domains).
// Usage: npm run email-domains -- --local | --remote [--persist-to DIR]; the arguments go to `wrangler d1 execute`.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { domainToASCII } from "node:url";

const FREE = new URL("../node_modules/email-providers/all.json", import.meta.url);
const DISPOSABLE = new URL("../node_modules/disposable-email-domains-js/dist/dict/disposable_email_blocklist.json", import.meta.url);
const HOSTNAME = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+$/;
const CHUNK = 500;

/** A list entry as the callback sees email domains (lower-case ASCII, IDNs in punycode), or undefined if not a domain. */
function normalise(entry) {
  const ascii = domainToASCII(String(entry).trim().toLowerCase().replace(/\.$/, ""));
  return HOSTNAME.test(ascii) ? ascii : undefined;
}

function readList(url) {
  const list = JSON.parse(readFileSync(url, "utf8"));
  if (!Array.isArray(list)) throw new Error(`${url.pathname} is not a JSON array`);
  return list;
}

const kinds = new Map();
let skipped = 0;
for (const [url, kind] of [[FREE, "free"], [DISPOSABLE, "disposable"]]) {
  for (const entry of readList(url)) {
    const domain = normalise(entry);
    if (domain === undefined) skipped++;
    // Disposable is read last, so a domain in both lists is disposable.
    else kinds.set(domain, kind);
  }
}
const rows = [...kinds].sort(([a], [b]) => (a < b ? -1 : 1));
const sql = ["DELETE FROM email_domains;"];
for (let i = 0; i < rows.length; i += CHUNK) {
  const values = rows.slice(i, i + CHUNK).map(([domain, kind]) => `('${domain.replaceAll("'", "''")}', '${kind}')`);
  sql.push(`INSERT INTO email_domains (domain, kind) VALUES\n${values.join(",\n")};`);
}

const dir = mkdtempSync(join(tmpdir(), "gatehouse-email-domains-"));
const file = join(dir, "email-domains.sql");
writeFileSync(file, `${sql.join("\n")}\n`);
const env = { ...process.env, WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_HIDE_BANNER: "true" };
const args = process.argv.slice(2);
const run = spawnSync("npx", ["wrangler", "d1", "execute", "DB", "--file", file, "--yes", ...args], { env, encoding: "utf8" });
rmSync(dir, { recursive: true, force: true });
if (run.status !== 0) {
  process.stderr.write(`${run.stdout ?? ""}${run.stderr ?? ""}`);
  console.error(`email-domains: wrangler d1 execute failed${run.error ? `: ${run.error.message}` : ""}`);
  process.exit(1);
}
const free = rows.filter(([, kind]) => kind === "free").length;
console.log(`email-domains: loaded ${rows.length} domains (${free} free, ${rows.length - free} disposable; ${skipped} entries skipped) into D1 email_domains ${args.join(" ")}`.trimEnd());
