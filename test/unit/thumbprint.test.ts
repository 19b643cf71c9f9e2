import { exportJWK, generateKeyPair } from "jose";
import { describe, expect, it } from "vitest";
import { keyId, toPublicKey, toSigningKey } from "../../src/lib/jwk";

describe("key ids (RFC 7638 JWK thumbprints)", () => {
  it("matches the RFC 7638 §3.1 example", async () => {
    const rsa = {
      kty: "RSA",
      n: "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
      e: "AQAB",
      alg: "RS256",
      kid: "2011-04-29",
    };
    expect(await keyId(rsa)).toBe("NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
  });

  it("gives a signing key the thumbprint of its public part as kid, and publishes no private member", async () => {
    const { privateKey } = await generateKeyPair("ES256", { extractable: true });
    const key = await toSigningKey(await exportJWK(privateKey));
    const published = toPublicKey(key);
    expect(Object.keys(published).sort()).toEqual(["alg", "crv", "kid", "kty", "use", "x", "y"]);
    expect(published).toMatchObject({ kty: "EC", crv: "P-256", alg: "ES256", use: "sig" });
    expect(key.kid).toBe(await keyId({ kty: "EC", crv: "P-256", x: key.x, y: key.y }));
    expect(await keyId(published)).toBe(key.kid);
  });

  it("refuses a key that is not a P-256 private key", async () => {
    const { publicKey } = await generateKeyPair("ES256", { extractable: true });
    await expect(toSigningKey(await exportJWK(publicKey))).rejects.toThrow("expected a P-256 private key");
  });
});
