// The hosts a metadata document may be fetched from: IPv4 and IPv6 literals parsed exactly, IPv4 addresses carried in
// IPv6 forms judged by the IPv4 ranges, loopback names with or without the root dot.
import { describe, expect, it } from "vitest";
import { hostProblem, parseIpv4, parseIpv6 } from "./cimd-address";
import { fetchTargetProblem } from "./cimd";

describe("parseIpv4", () => {
  it.each([
    ["0.0.0.0", 0],
    ["255.255.255.255", 0xffffffff],
    ["127.0.0.1", 0x7f000001],
    ["93.184.216.34", 0x5db8d822],
  ])("%s → %i", (text, value) => {
    expect(parseIpv4(text)).toBe(value);
  });

  it.each(["", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1.2.3.999", "01.2.3.4", "1..2.3", "1.2.3.-4", "1.2.3.4.", "0x7f.0.0.1", " 1.2.3.4"])("refuses %j", (text) => {
    expect(parseIpv4(text)).toBeUndefined();
  });
});

describe("parseIpv6", () => {
  it.each([
    ["::", 0n],
    ["::1", 1n],
    ["1::", 1n << 112n],
    ["1:2:3:4:5:6:7:8", 0x0001_0002_0003_0004_0005_0006_0007_0008n],
    ["1::2:3:4:5:6:7", 0x0001_0000_0002_0003_0004_0005_0006_0007n],
    ["2001:0db8:0000:0000:0000:0000:0000:0001", 0x2001_0db8_0000_0000_0000_0000_0000_0001n],
    ["2001:DB8::1", 0x2001_0db8_0000_0000_0000_0000_0000_0001n],
    ["::ffff:127.0.0.1", 0xffff_7f00_0001n],
    ["::ffff:7f00:1", 0xffff_7f00_0001n],
    ["::127.0.0.1", 0x7f00_0001n],
    ["1:2:3:4:5:6:1.2.3.4", 0x0001_0002_0003_0004_0005_0006_0102_0304n],
    ["64:ff9b::10.0.0.1", 0x0064_ff9b_0000_0000_0000_0000_0a00_0001n],
  ])("%s", (text, value) => {
    expect(parseIpv6(text)).toBe(value);
  });

  it.each([
    "",
    ":",
    ":::",
    "1:::2",
    "1::2::3",
    ":1::",
    "1::2:",
    "1:2:3:4:5:6:7",
    "1:2:3:4:5:6:7:8:9",
    "1:2:3:4:5:6:7:8::",
    "1:2:3:4::5:6:7:8",
    "12345::",
    "g::",
    "::1.2.3",
    "::1.2.3.256",
    "::01.2.3.4",
    "1.2.3.4::",
    "::1.2.3.4:5",
    "1:2:3:4:5:6:7:1.2.3.4",
    "fe80::1%eth0",
    "[::1]",
  ])("refuses %j", (text) => {
    expect(parseIpv6(text)).toBeUndefined();
  });
});

describe("hostProblem", () => {
  it.each(["localhost", "LOCALHOST", "localhost.", "a.localhost", "a.b.localhost."])("refuses the loopback name %s", (host) => {
    expect(hostProblem(host)).toBe("the client_id host is loopback");
  });

  it.each([
    "0.0.0.0",
    "0.255.255.255",
    "10.0.0.1",
    "10.255.255.255",
    "100.64.0.1",
    "100.127.255.255",
    "127.0.0.1",
    "127.255.255.254",
    "127.0.0.1.",
    "169.254.169.254",
    "172.16.0.1",
    "172.31.255.255",
    "192.0.0.8",
    "192.0.2.1",
    "192.88.99.1",
    "192.168.0.1",
    "198.18.0.1",
    "198.19.255.255",
    "198.51.100.1",
    "203.0.113.1",
    "224.0.0.1",
    "239.255.255.255",
    "240.0.0.1",
    "255.255.255.255",
  ])("refuses the IPv4 address %s", (host) => {
    expect(hostProblem(host)).toBe("the client_id host is a non-public IPv4 address");
  });

  it.each([
    ["unspecified", "[::]"],
    ["loopback", "[::1]"],
    ["loopback, long form", "[0:0:0:0:0:0:0:1]"],
    ["IPv4-compatible loopback", "[::7f00:1]"],
    ["IPv4-compatible private", "[::10.0.0.1]"],
    ["IPv4-mapped loopback", "[::ffff:127.0.0.1]"],
    ["IPv4-mapped loopback, hex", "[::ffff:7f00:1]"],
    ["IPv4-mapped metadata service", "[::ffff:a9fe:a9fe]"],
    ["IPv4-mapped private", "[::ffff:192.168.1.1]"],
    ["IPv4-translated (SIIT)", "[::ffff:0:808:808]"],
    ["NAT64 of loopback", "[64:ff9b::7f00:1]"],
    ["NAT64 of a private address", "[64:ff9b::10.0.0.1]"],
    ["NAT64 of the metadata service", "[64:ff9b::a9fe:a9fe]"],
    ["NAT64 local-use prefix", "[64:ff9b:1::808:808]"],
    ["6to4 of loopback", "[2002:7f00:1::]"],
    ["6to4 of a private address", "[2002:a00:1::1]"],
    ["6to4 of 192.168.1.1", "[2002:c0a8:101::1]"],
    ["Teredo", "[2001:0:4136:e378:8000:63bf:3fff:fdd2]"],
    ["IETF protocol assignments", "[2001:2::1]"],
    ["documentation", "[2001:db8::1]"],
    ["documentation (RFC 9637)", "[3fff::1]"],
    ["discard-only", "[100::1]"],
    ["unique local", "[fc00::1]"],
    ["unique local", "[fd12:3456::1]"],
    ["link-local", "[fe80::1]"],
    ["link-local, upper end", "[febf::1]"],
    ["site-local", "[fec0::1]"],
    ["site-local, upper end", "[feff::1]"],
    ["multicast", "[ff02::1]"],
    ["SRv6 SIDs", "[5f00::1]"],
    ["unassigned", "[4000::1]"],
  ])("refuses the IPv6 address (%s) %s", (_name, host) => {
    expect(hostProblem(host)).toBe("the client_id host is a non-public IPv6 address");
  });

  it.each([
    ["[::1", "the client_id host is not a valid IPv6 address"],
    ["[fe80::1%25eth0]", "the client_id host is not a valid IPv6 address"],
    ["[1::2::3]", "the client_id host is not a valid IPv6 address"],
    ["1.2.3", "the client_id host is not a valid IPv4 address"],
    ["01.2.3.4", "the client_id host is not a valid IPv4 address"],
  ])("refuses the malformed host %s", (host, problem) => {
    expect(hostProblem(host)).toBe(problem);
  });

  it.each([
    "app.example.com",
    "app.example.com.",
    "localhost.example.com",
    "mylocalhost",
    "1.1.1.1",
    "8.8.8.8",
    "11.0.0.1",
    "93.184.216.34",
    "100.63.255.255",
    "100.128.0.0",
    "126.255.255.255",
    "128.0.0.0",
    "169.253.255.255",
    "169.255.0.0",
    "172.15.255.255",
    "172.32.0.0",
    "192.0.1.1",
    "192.167.255.255",
    "192.169.0.0",
    "198.17.255.255",
    "198.20.0.0",
    "223.255.255.255",
    "[2606:4700::1111]",
    "[2a00:1450:4001:82a::200e]",
    "[2001:200::1]",
    "[2003::1]",
    "[2002:808:808::1]",
    "[64:ff9b::808:808]",
    "[::ffff:8.8.8.8]",
    "[::808:808]",
  ])("allows %s", (host) => {
    expect(hostProblem(host)).toBeUndefined();
  });
});

describe("fetchTargetProblem on the URL forms a client_id can take", () => {
  // WHATWG URL parsing normalises these hosts before the check sees them: hex, octal, short and integer IPv4
  // forms become dotted decimal, IPv6 is compressed, and a dotted IPv4 tail becomes hex groups.
  it.each([
    "https://127.1/x",
    "https://0x7f000001/x",
    "https://2130706433/x",
    "https://0177.0.0.1/x",
    "https://127.0.0.1./x",
    "https://[::7f00:1]/x",
    "https://[::ffff:127.0.0.1]/x",
    "https://[0:0:0:0:0:ffff:169.254.169.254]/x",
    "https://[64:ff9b::127.0.0.1]/x",
    "https://[2002:7f00:0001::]/x",
    "https://[FEC0::1]/x",
    "https://[100::]/x",
    "https://localhost./x",
    "https://LocalHost/x",
  ])("refuses %s", (url) => {
    expect(fetchTargetProblem(url)).toEqual(expect.stringMatching(/^the client_id host is (loopback|a non-public)/));
  });

  it.each(["https://app.example.com/client.json", "https://[2606:4700::1111]/client", "https://[64:ff9b::8.8.8.8]/client", "https://8.8.8.8/client"])("allows %s", (url) => {
    expect(fetchTargetProblem(url)).toBeUndefined();
  });
});
