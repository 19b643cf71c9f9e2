// Placeholder landing page and health check.
import { Hono } from "hono";
import type { AppEnv } from "../env";

export const landingRoutes = new Hono<AppEnv>();
landingRoutes.get("/healthz", (c) => c.text("ok"));
