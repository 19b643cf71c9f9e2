// Placeholder KeyRing Durable Object.
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";

export class KeyRing extends DurableObject<Env> {}
