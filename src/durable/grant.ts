// Placeholder Grant Durable Object.
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";

export class Grant extends DurableObject<Env> {}
