// The landing page: how to connect an MCP client to this server.
/** @jsxRuntime automatic */
/** @jsxImportSource hono/jsx */
import type { Config } from "../config";
import { Brand, Layout } from "./layout";

/** Copyable configuration for each client, for the MCP URL `mcpUrl`. */
export function clientSnippets(serviceName: string, mcpUrl: string): { client: string; how: string; snippet: string }[] {
  const key = serviceName.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "") || "gatehouse";
  return [
    { client: "Claude Code", how: "Run in a terminal, then /mcp to sign in:", snippet: `claude mcp add --transport http ${key} ${mcpUrl}` },
    { client: "Claude Desktop and claude.ai", how: "Settings → Connectors → Add custom connector, and paste the URL:", snippet: mcpUrl },
    { client: "ChatGPT", how: "Settings → Apps & Connectors → Create (developer mode), with OAuth, and paste the URL:", snippet: mcpUrl },
    { client: "Cursor", how: "Add to ~/.cursor/mcp.json:", snippet: JSON.stringify({ mcpServers: { [key]: { url: mcpUrl } } }, null, 2) },
    { client: "VS Code", how: "Add to .vscode/mcp.json:", snippet: JSON.stringify({ servers: { [key]: { type: "http", url: mcpUrl } } }, null, 2) },
    { client: "Any stdio-only client (via mcp-remote)", how: "Use this command:", snippet: `npx -y mcp-remote ${mcpUrl}` },
  ];
}

export function Landing({ config }: { config: Config }) {
  const { serviceName, signupUrl } = config.branding;
  return (
    <Layout config={config} title="Connect">
      <main class="wide">
        <Brand config={config} />
        <h1>Connect to {serviceName}</h1>
        <p>
          This is an MCP server. Add its URL to your AI client; the client will ask you to sign in the first time.
        </p>
        <pre>{config.mcpResource}</pre>
        {signupUrl ? (
          <p class="muted">
            No account yet? <a href={signupUrl}>Sign up</a>.
          </p>
        ) : null}
        {clientSnippets(serviceName, config.mcpResource).map((s) => (
          <section>
            <h2>{s.client}</h2>
            <p class="muted">{s.how}</p>
            <pre>{s.snippet}</pre>
          </section>
        ))}
        <p class="muted">
          Already connected? <a href="/account">See and revoke the applications you allowed</a>.
        </p>
      </main>
    </Layout>
  );
}
