// Client ID Metadata Documents, the fetch: https only, no redirects, 5 s, 5 KiB, JSON, then the document rules of
// src/policy/cimd.ts. Caching and serving stale copies is the caller's (src/oauth/client-lookup.ts).
import {
  CIMD_MAX_BYTES,
  CIMD_TIMEOUT_MS,
  cacheLifetime,
  checkMetadataDocument,
  fetchTargetProblem,
  type MetadataDocument,
} from "../policy/cimd";

/** `gone`: the origin answered that the document does not exist (404 or 410). */
export type FetchResult = { ok: true; document: MetadataDocument; ttl: number } | { ok: false; problem: string; gone?: boolean };

/** Fetches and checks a metadata document: GET with no redirects, a 5 s timeout, a 5 KiB cap and JSON only. */
export async function fetchDocument(url: string): Promise<FetchResult> {
  const target = fetchTargetProblem(url);
  if (target) return { ok: false, problem: target };
  let response: Response;
  const signal = AbortSignal.timeout(CIMD_TIMEOUT_MS);
  try {
    response = await fetch(new Request(url, { headers: { Accept: "application/json" }, redirect: "manual", signal }));
  } catch (err) {
    return { ok: false, problem: signal.aborted ? "the document took longer than 5 s" : `the document could not be fetched (${err instanceof Error ? err.name : "error"})` };
  }
  if (response.status >= 300 && response.status < 400) return discard(response, "the document URL redirects");
  if (response.status !== 200) return discard(response, `the document URL answered ${response.status}`, response.status === 404 || response.status === 410);
  if (!/^application\/([\w.+-]*\+)?json\b/i.test(response.headers.get("Content-Type") ?? "")) return discard(response, "the document is not served as JSON");
  const body = await readCapped(response, signal);
  if (body === undefined) return { ok: false, problem: signal.aborted ? "the document took longer than 5 s" : `the document is larger than ${CIMD_MAX_BYTES} bytes` };
  const checked = checkMetadataDocument(url, body);
  if (!checked.ok) return checked;
  return { ok: true, document: checked.document, ttl: cacheLifetime(response.headers.get("Cache-Control")) };
}

/** The body as text, or `undefined` when it exceeds the cap (reading stops there) or the time runs out. */
async function readCapped(response: Response, signal: AbortSignal): Promise<string | undefined> {
  const declared = Number(response.headers.get("Content-Length") ?? "0");
  if (declared > CIMD_MAX_BYTES) {
    await response.body?.cancel();
    return undefined;
  }
  if (!response.body) return "";
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      if (signal.aborted) throw signal.reason;
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > CIMD_MAX_BYTES) {
        await reader.cancel();
        return undefined;
      }
      chunks.push(value);
    }
  } catch {
    return undefined;
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return new TextDecoder().decode(bytes);
}

async function discard(response: Response, problem: string, gone = false): Promise<FetchResult> {
  await response.body?.cancel();
  return { ok: false, problem, gone };
}
