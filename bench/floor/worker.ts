// The bench's platform floor: `/healthz` answers with no work at all; `/proxy` forwards the request to ORIGIN with
// fetch() and streams the answer back, which is the least any gateway Worker does. Gatehouse's gateway minus this is
// what Gatehouse itself adds. `/proxy?log` also writes one JSON line like Gatehouse's request log, so the bench shows
// what one console.log costs in local `wrangler dev` (a line to workerd's structured stdout, which wrangler's Node
// process reads; with wrangler's inspector attached, a DevTools message with its stack instead).
interface Env {
  ORIGIN: string;
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const { pathname, search } = new URL(request.url);
    if (pathname !== "/proxy") return new Response("ok");
    const started = Date.now();
    const response = await fetch(env.ORIGIN, { method: request.method, headers: request.headers, body: request.body });
    if (search === "?log") {
      const line = { event: "request.completed", method: request.method, path: pathname, status: response.status, latency_ms: Date.now() - started, client_id: "bench", correlation_id: crypto.randomUUID() };
      console.log(JSON.stringify(line));
    }
    return response;
  },
} satisfies ExportedHandler<Env>;
