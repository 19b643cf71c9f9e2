// The landing page (how to connect an MCP client to this server) and the health check.
/** @jsxRuntime automatic */
/** @jsxImportSource hono/jsx */
import { Hono } from "hono";
import { secureHeaders } from "hono/secure-headers";
import type { AppEnv } from "./http/app-env";
import { pageErrors } from "./http/respond";
import { Landing } from "./ui/landing";

export const landingRoutes = new Hono<AppEnv>();

landingRoutes.get("/healthz", (c) => c.text("ok", 200, { "Cache-Control": "no-store" }));

landingRoutes.get(
  "/",
  pageErrors,
  secureHeaders({ contentSecurityPolicy: { defaultSrc: ["'none'"], styleSrc: ["'unsafe-inline'"], imgSrc: ["https:"], frameAncestors: ["'none'"], baseUri: ["'none'"], formAction: ["'none'"] } }),
  (c) => c.html(<Landing config={c.get("config")} />),
);
