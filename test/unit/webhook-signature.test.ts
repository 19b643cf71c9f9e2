// Webhook signatures (Stripe's scheme) against a known vector computed independently (Node's crypto.createHmac),
// the receiver's checks, and the retry schedule.
import { describe, expect, it } from "vitest";
import { DELIVERY_WINDOW, nextAttempt } from "../../src/webhook/deliver";
import { signatureHeader, verifySignature } from "../../src/webhook/signature";

const SECRET = "whsec_test_secret";
const BODY = '{"id":"evt_1","type":"user.created"}';
const T = 1_700_000_000;
// node -e 'console.log(require("crypto").createHmac("sha256", SECRET).update(`${T}.${BODY}`).digest("hex"))'
const VECTOR = "f05b1ef15f6e243adcc340e544948703c6d81cf305301168ffc9986284c88f05";

describe("signatureHeader", () => {
  it("signs `<t>.<raw body>` with HMAC-SHA256 in lowercase hex, as t=…,v1=…", async () => {
    expect(await signatureHeader(SECRET, T, BODY)).toBe(`t=${T},v1=${VECTOR}`);
  });
});

describe("verifySignature", () => {
  it("accepts the known vector within 5 minutes", async () => {
    expect(await verifySignature(SECRET, `t=${T},v1=${VECTOR}`, BODY, T + 300)).toBe("ok");
  });

  it("rejects a timestamp older than 5 minutes (replay)", async () => {
    expect(await verifySignature(SECRET, `t=${T},v1=${VECTOR}`, BODY, T + 301)).toBe("stale");
  });

  it.each([
    ["another body", `t=${T},v1=${VECTOR}`, `${BODY} `, "mismatch"],
    ["another timestamp", `t=${T + 1},v1=${VECTOR}`, BODY, "mismatch"],
    ["a missing header", null, BODY, "malformed"],
    ["a header without v1", `t=${T}`, BODY, "malformed"],
    ["an uppercase or short signature", `t=${T},v1=${VECTOR.toUpperCase()}`, BODY, "malformed"],
  ] as const)("refuses %s", async (_name, header, body, check) => {
    expect(await verifySignature(SECRET, header, body, T)).toBe(check);
  });

  it("refuses a signature made with another secret", async () => {
    expect(await verifySignature("another-secret", `t=${T},v1=${VECTOR}`, BODY, T)).toBe("mismatch");
  });
});

describe("nextAttempt", () => {
  it("backs off exponentially from 1 minute, doubling", () => {
    expect([1, 2, 3, 4].map((n) => nextAttempt(T, n, T))).toEqual([T + 60, T + 120, T + 240, T + 480]);
  });

  it("never schedules past 24 hours after the event, and gives up once they have passed", () => {
    expect(nextAttempt(T, 11, T + 80_000)).toBe(T + DELIVERY_WINDOW);
    expect(nextAttempt(T, 12, T + DELIVERY_WINDOW)).toBeUndefined();
  });
});
