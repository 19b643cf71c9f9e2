// A Worker that serves MCP behind Gatehouse through a service binding, for test/worker/gateway-service.test.ts (an
// auxiliary worker of the vitest pool) and test/e2e/gateway-service.test.ts (a second `wrangler dev` configuration).
// Plain JavaScript, no imports: the pool loads it unbundled. Stateless Streamable HTTP: `headers` answers with every
// header and the URL it received (the tests verify the identity assertion themselves), and `count` streams three
// progress notifications over SSE, 200 ms apart, before its result.
const TOOLS = [
  { name: "headers", description: "The request headers and URL this origin received", inputSchema: { type: "object", properties: {} } },
  { name: "count", description: "Counts to three with progress notifications", inputSchema: { type: "object", properties: {} } },
];

const sse = (message) => `event: message\ndata: ${JSON.stringify(message)}\n\n`;

/** The JSON-RPC response to `message`, or a stream of SSE events for `count`. */
function answer(message, request) {
  const reply = (result) => ({ jsonrpc: "2.0", id: message.id, result });
  switch (message.method) {
    case "initialize":
      return reply({ protocolVersion: message.params?.protocolVersion ?? "2025-06-18", capabilities: { tools: {} }, serverInfo: { name: "origin-worker", version: "1.0.0" } });
    case "ping":
      return reply({});
    case "tools/list":
      return reply({ tools: TOOLS });
    case "tools/call":
      if (message.params?.name === "headers") {
        const received = { url: request.url, headers: Object.fromEntries(request.headers) };
        return reply({ content: [{ type: "text", text: JSON.stringify(received) }] });
      }
      if (message.params?.name === "count") return { stream: message };
      return { jsonrpc: "2.0", id: message.id, error: { code: -32602, message: `unknown tool ${message.params?.name}` } };
    default:
      return { jsonrpc: "2.0", id: message.id, error: { code: -32601, message: `method not found: ${message.method}` } };
  }
}

function countStream(message) {
  const encoder = new TextEncoder();
  const progressToken = message.params?._meta?.progressToken;
  return new ReadableStream({
    async start(controller) {
      for (let progress = 1; progress <= 3; progress++) {
        if (progressToken !== undefined) controller.enqueue(encoder.encode(sse({ jsonrpc: "2.0", method: "notifications/progress", params: { progressToken, progress, total: 3 } })));
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      controller.enqueue(encoder.encode(sse({ jsonrpc: "2.0", id: message.id, result: { content: [{ type: "text", text: "counted" }] } })));
      controller.close();
    },
  });
}

export default {
  async fetch(request) {
    if (request.method !== "POST") return new Response(null, { status: 405, headers: { Allow: "POST" } });
    const message = await request.json();
    if (message.id === undefined) return new Response(null, { status: 202 });
    const response = answer(message, request);
    if (response.stream) return new Response(countStream(response.stream), { headers: { "Content-Type": "text/event-stream", "Cache-Control": "no-cache" } });
    return Response.json(response);
  },
};
