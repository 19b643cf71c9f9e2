import { describe, expect, it } from "vitest";
import { bindSessionId, openSessionId } from "./gateway-session";

const key = (await crypto.subtle.generateKey({ name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"])) as CryptoKey;
const binding = { grantId: "grt_1", server: "demo" };

describe("gateway session ids", () => {
  it("round-trip the origin's id, dots included, under the grant and server that issued them", async () => {
    for (const originId of ["3f6c-uuid", "a.b.c"]) {
      const wrapped = await bindSessionId(key, binding, originId);
      expect(wrapped.startsWith(`${originId}.gs1.`)).toBe(true);
      expect(await openSessionId(key, binding, wrapped)).toBe(originId);
    }
  });

  it("do not open under another grant, another server, another key, or when never issued or altered", async () => {
    const wrapped = await bindSessionId(key, binding, "s-1");
    const other = (await crypto.subtle.generateKey({ name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"])) as CryptoKey;
    expect(await openSessionId(key, { ...binding, grantId: "grt_2" }, wrapped)).toBeUndefined();
    expect(await openSessionId(key, { ...binding, server: "files" }, wrapped)).toBeUndefined();
    expect(await openSessionId(other, binding, wrapped)).toBeUndefined();
    for (const forged of ["s-1", ".gs1.x", `s-2${wrapped.slice(3)}`, `${wrapped}A`, wrapped.replace(".gs1.", ".gs2."), "s-1.gs1.!!", "s-1.gs1."]) expect(await openSessionId(key, binding, forged)).toBeUndefined();
  });
});
