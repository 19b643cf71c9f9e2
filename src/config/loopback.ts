// The loopback rule every plain-http allowance in the configuration rests on.

/** True for the hosts RFC 8252 §7.3 and §8.3 treat as loopback. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase();
  return host === "localhost" || host === "[::1]" || host === "::1" || /^127(\.\d{1,3}){3}$/.test(host);
}
