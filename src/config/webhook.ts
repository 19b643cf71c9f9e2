// CAPTURE_WEBHOOK_URL and CAPTURE_WEBHOOK_SECRET: where the signed `user.created` delivery goes (docs/webhooks.md).
import { type Reader, isLoopbackHost } from "./reader";

export interface CaptureWebhook {
  url: string;
  secret: string;
}

/** The webhook when both its URL and its secret are set and valid; otherwise none, with the reason as a problem. */
export function parseWebhook(read: Reader): CaptureWebhook | undefined {
  let url = read.url("CAPTURE_WEBHOOK_URL");
  // The body names people (email, organisation) and the signature does not hide it: plain http only to this machine.
  if (url && new URL(url).protocol === "http:" && !isLoopbackHost(new URL(url).hostname)) {
    read.problem("CAPTURE_WEBHOOK_URL", "must use https unless the host is loopback");
    url = undefined;
  }
  const secret = read.text("CAPTURE_WEBHOOK_SECRET");
  if (url && !secret) read.problem("CAPTURE_WEBHOOK_SECRET", "is required with CAPTURE_WEBHOOK_URL");
  return url && secret ? { url, secret } : undefined;
}
