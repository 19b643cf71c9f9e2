// Parsing URLs that arrive as input (redirect URIs, resource indicators, client ids, configuration values).

/** `value` as a URL (WHATWG URL Standard, absolute only), or `undefined` when it is not one: input, not a bug. */
export function parseUrl(value: string): URL | undefined {
  try {
    return new URL(value);
  } catch {
    return undefined;
  }
}
