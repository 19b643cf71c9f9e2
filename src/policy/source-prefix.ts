// The key of every limit by source address: an IPv4 address as it is, an IPv6 address by its /64. One IPv6
// subscriber holds a /64 or more (RFC 6177 §2, RFC 7934 §6) and can send from any of its 2^64 addresses.

/** The unknown source: no `CF-Connecting-IP` (local tests) or a value that is no IP address. */
export const UNKNOWN_SOURCE = "unknown";

/**
 * `a.b.c.d` for IPv4 and IPv4-mapped IPv6 (RFC 4291 §2.5.5.2), `h:h:h:h::/64` (lower-case, no leading zeros) for
 * any other IPv6 address, `unknown` for anything else.
 * @see https://www.rfc-editor.org/rfc/rfc4291#section-2.2
 */
export function sourcePrefix(address: string | undefined): string {
  if (address === undefined) return UNKNOWN_SOURCE;
  const text = address.trim();
  const v4 = ipv4(text);
  if (v4) return v4.join(".");
  const groups = ipv6(text);
  if (!groups) return UNKNOWN_SOURCE;
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    return [groups[6] ?? 0, groups[7] ?? 0].flatMap((g) => [g >> 8, g & 0xff]).join(".");
  }
  return `${groups
    .slice(0, 4)
    .map((g) => g.toString(16))
    .join(":")}::/64`;
}

function ipv4(text: string): number[] | undefined {
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (!match) return undefined;
  const octets = match.slice(1).map(Number);
  return octets.every((o) => o <= 255) ? octets : undefined;
}

/** The eight 16-bit groups of an IPv6 address in any RFC 4291 §2.2 form (`::`, a dotted IPv4 tail), or `undefined`. */
function ipv6(text: string): number[] | undefined {
  let rest = text.toLowerCase().replace(/^\[(.*)\]$/, "$1");
  const tail: number[] = [];
  if (rest.includes(".")) {
    const cut = rest.lastIndexOf(":");
    const v4 = ipv4(rest.slice(cut + 1));
    if (cut < 0 || !v4) return undefined;
    tail.push(((v4[0] ?? 0) << 8) | (v4[1] ?? 0), ((v4[2] ?? 0) << 8) | (v4[3] ?? 0));
    rest = rest.endsWith("::", cut + 1) ? rest.slice(0, cut + 1) : rest.slice(0, cut);
  }
  const halves = rest.split("::");
  if (halves.length > 2) return undefined;
  const parse = (part: string | undefined) => (part ? part.split(":") : []);
  const head = parse(halves[0]);
  const back = parse(halves[1]);
  if (![...head, ...back].every((g) => /^[0-9a-f]{1,4}$/.test(g))) return undefined;
  const given = head.length + back.length + tail.length;
  if (halves.length === 1 ? given !== 8 : given > 7) return undefined;
  const zeros = Array<number>(8 - given).fill(0);
  return [...head.map((g) => parseInt(g, 16)), ...zeros, ...back.map((g) => parseInt(g, 16)), ...tail];
}
