// The JWK shapes of Gatehouse's ES256 signing keys, and their key id: the RFC 7638 thumbprint of the public key.
import { calculateJwkThumbprint, type JWK } from "jose";

/** A P-256 public key as published in JWKS. @see RFC 7517 §4, RFC 7518 §6.2.1 */
export interface PublicSigningKey {
  kty: "EC";
  crv: "P-256";
  x: string;
  y: string;
  kid: string;
  alg: "ES256";
  use: "sig";
}

/** The same key with its private part (`d`), as the KeyRing stores and hands to signers. */
export interface PrivateSigningKey extends PublicSigningKey {
  d: string;
}

/** The base64url SHA-256 JWK thumbprint, used as `kid`. @see RFC 7638 §3 */
export function keyId(jwk: JWK): Promise<string> {
  return calculateJwkThumbprint(jwk, "sha256");
}

/** Completes an exported P-256 key pair into Gatehouse's JWK shape with its `kid`; throws on any other key type. */
export async function toSigningKey(jwk: JWK): Promise<PrivateSigningKey> {
  const { kty, crv, x, y, d } = jwk;
  if (kty !== "EC" || crv !== "P-256" || !x || !y || !d) throw new Error("expected a P-256 private key");
  return { kty: "EC", crv: "P-256", x, y, d, kid: await keyId({ kty, crv, x, y }), alg: "ES256", use: "sig" };
}

/** The published part of a signing key: no private members. */
export function toPublicKey({ kty, crv, x, y, kid, alg, use }: PrivateSigningKey): PublicSigningKey {
  return { kty, crv, x, y, kid, alg, use };
}
