// verifyIdentity() as a Node origin imports it: the "gatehouse/verify" export loads without the Workers runtime and
// verifies against a JWKS fetched over HTTP. test/worker/verify-identity.test.ts checks it with Gatehouse's own keys.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { IdentityError, verifyIdentity } from "gatehouse/verify";
import { afterAll, describe, expect, it } from "vitest";

const { privateKey, publicKey } = await generateKeyPair("ES256");
const jwk = { ...(await exportJWK(publicKey)), kid: "k1", alg: "ES256", use: "sig" };
const jwks = createServer((_req, res) => res.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify({ keys: [jwk] })));
await new Promise<void>((resolve) => jwks.listen(0, "127.0.0.1", resolve));
const issuer = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}`;
afterAll(() => new Promise<void>((resolve) => jwks.close(() => resolve())));

function assertion(typ = "gh-id+jwt", issuedAt = Math.floor(Date.now() / 1000)) {
  return new SignJWT({ email: "ada@analytical.example", email_verified: true, client_id: "client-1", scope: "mcp", sid: "grant-1" })
    .setProtectedHeader({ alg: "ES256", typ, kid: "k1" })
    .setIssuer(issuer)
    .setSubject("usr_ada")
    .setAudience("http://127.0.0.1:3001/mcp")
    .setIssuedAt(issuedAt)
    .setExpirationTime(issuedAt + 300)
    .setJti("j1")
    .sign(privateKey);
}

const request = (token: string) => new Request("http://127.0.0.1:3001/mcp", { headers: { Authorization: `Bearer ${token}` } });

describe("gatehouse/verify in Node", () => {
  it("verifies an assertion against the issuer's JWKS and returns the identity", async () => {
    expect(await verifyIdentity(request(await assertion()), { issuer, audience: "http://127.0.0.1:3001/mcp" })).toEqual({
      sub: "usr_ada",
      email: "ada@analytical.example",
      email_verified: true,
      org_id: undefined,
      org_name: undefined,
      client_id: "client-1",
      scope: "mcp",
      sid: "grant-1",
    });
  });

  it("allows a small clock skew but refuses an assertion issued in the future or of another type", async () => {
    const now = Math.floor(Date.now() / 1000);
    expect((await verifyIdentity(request(await assertion("gh-id+jwt", now + 20)), { issuer, audience: "http://127.0.0.1:3001/mcp" })).sub).toBe("usr_ada");
    await expect(verifyIdentity(request(await assertion("gh-id+jwt", now + 120)), { issuer, audience: "http://127.0.0.1:3001/mcp" })).rejects.toThrow(IdentityError);
    await expect(verifyIdentity(request(await assertion("at+jwt")), { issuer, audience: "http://127.0.0.1:3001/mcp" })).rejects.toThrow('unexpected "typ" JWT header value');
  });
});
