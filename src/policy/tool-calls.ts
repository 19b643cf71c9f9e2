// Which tools a JSON-RPC message (or batch) calls, for usage counts per tool. A name outside the MCP tool-name
// rules (1–128 characters of A–Z, a–z, 0–9, `_`, `-`, `.`) is not counted as a tool: names are client input, and
// a client must not be able to write arbitrary text into the usage table.
// @see MCP specification, server/tools ("Tool names"); JSON-RPC 2.0 §6 (batch)

const TOOL_NAME = /^[A-Za-z0-9_.-]{1,128}$/;

/** The tool names of every `tools/call` request in `message`, in order, repeats kept. */
export function calledTools(message: unknown): string[] {
  const messages = Array.isArray(message) ? message : [message];
  const names: string[] = [];
  for (const m of messages) {
    if (typeof m !== "object" || m === null || (m as { method?: unknown }).method !== "tools/call") continue;
    const name = (m as { params?: { name?: unknown } }).params?.name;
    if (typeof name === "string" && TOOL_NAME.test(name)) names.push(name);
  }
  return names;
}
