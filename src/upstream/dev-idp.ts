// Placeholder: routes arrive with their issue.
import { Hono } from "hono";
import type { AppEnv } from "../env";

export const devIdpRoutes = new Hono<AppEnv>();
