// Which URL hosts a metadata document may be fetched from: never loopback names, never a literal IP address outside
// the public unicast space, including IPv4 addresses carried inside IPv6 ones. Pure; DNS names are resolved by the
// platform, outside this check.

/** An IPv4 range: the address as an unsigned 32-bit number and the prefix length. */
type V4Range = readonly [address: number, bits: number];
/** An IPv6 range: the address as a 128-bit number and the prefix length. */
type V6Range = readonly [address: bigint, bits: number];

/**
 * IPv4 special-purpose ranges that are not globally reachable, or not unicast.
 * @see https://www.rfc-editor.org/rfc/rfc6890#section-2.2.2 and the IANA IPv4 Special-Purpose Address Registry
 */
const V4_NOT_PUBLIC: readonly V4Range[] = [
  [v4(0, 0, 0, 0), 8], // "this network"
  [v4(10, 0, 0, 0), 8], // private (RFC 1918)
  [v4(100, 64, 0, 0), 10], // shared address space (RFC 6598)
  [v4(127, 0, 0, 0), 8], // loopback
  [v4(169, 254, 0, 0), 16], // link-local (RFC 3927)
  [v4(172, 16, 0, 0), 12], // private
  [v4(192, 0, 0, 0), 24], // IETF protocol assignments
  [v4(192, 0, 2, 0), 24], // documentation (TEST-NET-1)
  [v4(192, 88, 99, 0), 24], // 6to4 relay anycast (deprecated, RFC 7526)
  [v4(192, 168, 0, 0), 16], // private
  [v4(198, 18, 0, 0), 15], // benchmarking (RFC 2544)
  [v4(198, 51, 100, 0), 24], // documentation (TEST-NET-2)
  [v4(203, 0, 113, 0), 24], // documentation (TEST-NET-3)
  [v4(224, 0, 0, 0), 4], // multicast
  [v4(240, 0, 0, 0), 4], // reserved, and the limited broadcast address
];

/** IPv6 forms whose low 32 bits are an IPv4 address, judged by that address. */
const V6_EMBEDDING_V4_LOW: readonly V6Range[] = [
  [v6("::ffff:0:0"), 96], // IPv4-mapped (RFC 4291 §2.5.5.2)
  [v6("::"), 96], // IPv4-compatible, deprecated (RFC 4291 §2.5.5.1); also covers :: and ::1
  [v6("64:ff9b::"), 96], // NAT64 well-known prefix (RFC 6052 §2.1)
];

/** Global unicast (2000::/3) ranges that are not globally reachable. @see the IANA IPv6 Special-Purpose Address Registry */
const V6_NOT_PUBLIC: readonly V6Range[] = [
  [v6("2001::"), 23], // IETF protocol assignments: Teredo (2001::/32), benchmarking, ORCHID
  [v6("2001:db8::"), 32], // documentation (RFC 3849)
  [v6("3fff::"), 20], // documentation (RFC 9637)
];

/** 6to4 (RFC 3056 §2): bits 16–47 are the site's IPv4 address. */
const V6_6TO4: V6Range = [v6("2002::"), 16];
/** Global unicast: anything outside it (ULA fc00::/7, link-local fe80::/10, site-local fec0::/10, multicast, 100::/64 discard-only, NAT64 local-use 64:ff9b:1::/48…) is not public. */
const V6_GLOBAL: V6Range = [v6("2000::"), 3];

/**
 * Why a URL's host (as `URL.hostname` gives it: IPv6 in brackets) may not be fetched, or `undefined` when it may.
 * @see https://www.rfc-editor.org/rfc/rfc6890
 * @see https://www.rfc-editor.org/rfc/rfc6761#section-6.3 (`localhost` and its subdomains, with or without the root dot)
 */
export function hostProblem(hostname: string): string | undefined {
  const host = hostname.toLowerCase();
  if (host.startsWith("[")) {
    const address = host.endsWith("]") ? parseIpv6(host.slice(1, -1)) : undefined;
    if (address === undefined) return "the client_id host is not a valid IPv6 address";
    return isPublicIpv6(address) ? undefined : "the client_id host is a non-public IPv6 address";
  }
  const name = host.endsWith(".") ? host.slice(0, -1) : host;
  if (name === "localhost" || name.endsWith(".localhost")) return "the client_id host is loopback";
  if (/^[\d.]+$/.test(name)) {
    const address = parseIpv4(name);
    if (address === undefined) return "the client_id host is not a valid IPv4 address";
    return isPublicIpv4(address) ? undefined : "the client_id host is a non-public IPv4 address";
  }
  return undefined;
}

/** Whether an IPv4 address (unsigned 32-bit) lies outside every special-purpose range. */
function isPublicIpv4(address: number): boolean {
  return !V4_NOT_PUBLIC.some(([base, bits]) => address >>> (32 - bits) === base >>> (32 - bits));
}

/** Whether an IPv6 address (128-bit) is public unicast, judging embedded IPv4 addresses by the IPv4 rules. */
function isPublicIpv6(address: bigint): boolean {
  if (V6_EMBEDDING_V4_LOW.some((range) => inV6(address, range))) return isPublicIpv4(Number(address & 0xffffffffn));
  if (!inV6(address, V6_GLOBAL) || V6_NOT_PUBLIC.some((range) => inV6(address, range))) return false;
  if (inV6(address, V6_6TO4)) return isPublicIpv4(Number((address >> 80n) & 0xffffffffn));
  return true;
}

/** Strict dotted-decimal IPv4 (four parts, 0–255, no leading zeros) as an unsigned 32-bit number. */
export function parseIpv4(text: string): number | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  let address = 0;
  for (const part of parts) {
    if (!/^(0|[1-9]\d{0,2})$/.test(part) || Number(part) > 255) return undefined;
    address = address * 256 + Number(part);
  }
  return address;
}

/**
 * RFC 4291 §2.2 text (eight groups of 1–4 hex digits, one `::` for a run of zero groups, optionally ending in a
 * dotted IPv4 address) as a 128-bit number; `undefined` for anything else, zone identifiers included.
 */
export function parseIpv6(text: string): bigint | undefined {
  const halves = text.toLowerCase().split("::");
  if (halves.length > 2) return undefined;
  const head = groups(halves[0] ?? "", halves.length === 1);
  const tail = halves.length === 2 ? groups(halves[1] ?? "", true) : [];
  if (!head || !tail) return undefined;
  const count = head.length + tail.length;
  if (halves.length === 1 ? count !== 8 : count > 7) return undefined;
  const all = [...head, ...new Array<number>(8 - count).fill(0), ...tail];
  return all.reduce((value, group) => (value << 16n) | BigInt(group), 0n);
}

/** The 16-bit groups of one side of `::`; an IPv4 tail (allowed when `last`) counts as two. */
function groups(text: string, last: boolean): number[] | undefined {
  if (text === "") return [];
  const parts = text.split(":");
  const result: number[] = [];
  for (const [index, part] of parts.entries()) {
    if (last && index === parts.length - 1 && part.includes(".")) {
      const v4address = parseIpv4(part);
      if (v4address === undefined) return undefined;
      result.push(v4address >>> 16, v4address & 0xffff);
    } else if (/^[0-9a-f]{1,4}$/.test(part)) {
      result.push(parseInt(part, 16));
    } else {
      return undefined;
    }
  }
  return result;
}

function inV6(address: bigint, [base, bits]: V6Range): boolean {
  const shift = BigInt(128 - bits);
  return address >> shift === base >> shift;
}

function v4(a: number, b: number, c: number, d: number): number {
  return ((a << 24) >>> 0) + (b << 16) + (c << 8) + d;
}

function v6(text: string): bigint {
  const address = parseIpv6(text);
  if (address === undefined) throw new Error(`bad IPv6 constant ${text}`);
  return address;
}
