// Rewrites an origin's SSE stream event by event as it passes: each event's `data` (one JSON-RPC message) goes
// through `rewrite`, every other field and every event boundary stays as the origin wrote it, and nothing waits
// for more than the event it is in — progress notifications still reach the client before the result.
// @see https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation

/** What becomes of one event's parsed `data`: the message to send instead; data that is not JSON is `undefined`. */
export type EventRewrite = (data: unknown) => unknown;

/** An SSE event carrying one JSON-RPC message. */
export const sseEvent = (message: unknown) => `event: message\ndata: ${JSON.stringify(message)}\n\n`;

/** A line ends at CRLF, LF or CR; an event at an empty line. */
const EVENT_END = /\r\n\r\n|\n\n|\r\r/;

/** A TransformStream that rewrites each event's data; `first` is sent before the origin's events (Gatehouse's own answers). */
export function sseRewriter(rewrite: EventRewrite, first: unknown[] = []): TransformStream<Uint8Array, Uint8Array> {
  const decoder = new TextDecoder();
  const encoder = new TextEncoder();
  let pending = "";
  const emit = (controller: TransformStreamDefaultController<Uint8Array>, block: string, end: string) => controller.enqueue(encoder.encode(rewriteEvent(block, rewrite) + end));
  return new TransformStream({
    start(controller) {
      for (const message of first) controller.enqueue(encoder.encode(sseEvent(message)));
    },
    transform(chunk, controller) {
      pending += decoder.decode(chunk, { stream: true });
      for (let match = EVENT_END.exec(pending); match; match = EVENT_END.exec(pending)) {
        emit(controller, pending.slice(0, match.index), match[0]);
        pending = pending.slice(match.index + match[0].length);
      }
    },
    flush(controller) {
      pending += decoder.decode();
      // An unterminated last event is never dispatched by a client (WHATWG SSE §9.2.6); pass its bytes as they are.
      if (pending) controller.enqueue(encoder.encode(pending));
    },
  });
}

/** One event block without its terminating blank line: its data lines replaced by the rewritten message's. */
function rewriteEvent(block: string, rewrite: EventRewrite): string {
  const lines = block.split(/\r\n|\n|\r/);
  const data: string[] = [];
  const other: string[] = [];
  for (const line of lines) {
    if (line === "data" || line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
    else other.push(line);
  }
  const raw = data.join("\n");
  // Events without data (and the empty priming event a resumable stream starts with) carry no message.
  if (raw.trim() === "") return block;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    parsed = undefined;
  }
  const next = rewrite(parsed);
  if (next === parsed && parsed !== undefined) return block;
  return [...other, `data: ${JSON.stringify(next)}`].join("\n");
}
