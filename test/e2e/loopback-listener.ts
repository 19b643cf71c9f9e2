// The client's loopback listener at a redirect URI, as a native MCP client runs one (RFC 8252 §7.3): it answers every
// request with "callback received" and keeps the URLs. Browser tests use it rather than Playwright's `page.route`,
// which does not intercept redirected requests (microsoft/playwright#3994, "as designed") — and every authorization
// response is a redirect.
import { createServer } from "node:http";

export interface LoopbackListener {
  /** Every request the listener received, in order. */
  callbacks: URL[];
  close: () => Promise<void>;
}

export async function startLoopbackListener(redirectUri: string): Promise<LoopbackListener> {
  const { hostname, port } = new URL(redirectUri);
  const callbacks: URL[] = [];
  const server = createServer((req, res) => {
    callbacks.push(new URL(req.url ?? "/", redirectUri));
    res.writeHead(200, { "content-type": "text/plain" }).end("callback received");
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(Number(port), hostname, resolve);
  });
  return {
    callbacks,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
