// The key of every limit by source address: IPv4 by address, IPv6 by /64 (RFC 6177, RFC 4291 §2.2 text forms).
import { describe, expect, it } from "vitest";
import { sourcePrefix } from "./source-prefix";

describe("sourcePrefix", () => {
  it.each([
    ["an IPv4 address as it is", "198.51.100.7", "198.51.100.7"],
    ["an IPv6 address by its /64", "2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"],
    ["an IPv6 address with leading zeros and upper case", "2001:0DB8:0001:00a2:ffff:0:0:1", "2001:db8:1:a2::/64"],
    ["a compressed IPv6 address", "2001:db8::1", "2001:db8:0:0::/64"],
    ["a compression inside the prefix", "2001:db8::5:6:7:8", "2001:db8:0:0::/64"],
    ["a compression at the end", "2001:db8:1:2::", "2001:db8:1:2::/64"],
    ["a bracketed IPv6 address", "[2001:db8:1:2::9]", "2001:db8:1:2::/64"],
    ["an IPv4-mapped IPv6 address as its IPv4 address", "::ffff:203.0.113.9", "203.0.113.9"],
    ["an IPv4-mapped IPv6 address in hex", "::ffff:cb00:7109", "203.0.113.9"],
    ["an IPv6 address with another dotted tail by its /64", "64:ff9b::192.0.2.1", "64:ff9b:0:0::/64"],
    ["the loopback IPv6 address", "::1", "0:0:0:0::/64"],
    ["surrounding spaces trimmed", " 198.51.100.7 ", "198.51.100.7"],
  ])("keys %s", (_name, address, expected) => {
    expect(sourcePrefix(address)).toBe(expected);
  });

  it("gives every address of one /64 the same key and a neighbouring /64 another", () => {
    expect(sourcePrefix("2001:db8:aa:bb:1::1")).toBe(sourcePrefix("2001:db8:aa:bb:ffff:ffff:ffff:ffff"));
    expect(sourcePrefix("2001:db8:aa:bc::1")).not.toBe(sourcePrefix("2001:db8:aa:bb::1"));
  });

  it.each([
    ["no address", undefined],
    ["an empty value", ""],
    ["a name", "example.com"],
    ["an IPv4 octet over 255", "198.51.100.256"],
    ["three IPv4 octets", "198.51.100"],
    ["two compressions", "2001::db8::1"],
    ["nine IPv6 groups", "1:2:3:4:5:6:7:8:9"],
    ["seven IPv6 groups without compression", "1:2:3:4:5:6:7"],
    ["a group of five digits", "2001:db8:12345::1"],
    ["a bad dotted tail", "::ffff:1.2.3"],
  ])("keys %s as unknown", (_name, address) => {
    expect(sourcePrefix(address)).toBe("unknown");
  });
});
