// The bench's platform floor: `/healthz` answers with no work at all; `/proxy` forwards the request to ORIGIN with
// fetch() and streams the answer back, which is the least any gateway Worker does. Gatehouse's gateway minus this is
// what Gatehouse itself adds.
interface Env {
  ORIGIN: string;
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const { pathname } = new URL(request.url);
    if (pathname === "/proxy") return fetch(env.ORIGIN, { method: request.method, headers: request.headers, body: request.body });
    return new Response("ok");
  },
} satisfies ExportedHandler<Env>;
