import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    projects: [
      {
        plugins: [
          cloudflareTest(async () => ({
            main: "./src/worker.ts",
            wrangler: { configPath: "./wrangler.jsonc", environment: "dev" },
            miniflare: {
              bindings: { TEST_MIGRATIONS: await readD1Migrations("./migrations"), ADMIN_TOKEN: "test-admin-token-0123456789abcdef-0123", RATE_LIMITS: "false" },
              // The Worker origin env.dev's MCP_ORIGIN binds (test/worker/gateway-service.test.ts); no default
              // MCP_SERVERS entry names it, so the other tests see Gatehouse as configured.
              workers: [{ name: "gatehouse-test-origin", modules: true, scriptPath: "./test/support/origin-worker/index.js", compatibilityDate: "2026-11-02" }],
            },
          })),
        ],
        test: {
          name: "worker",
          include: ["src/**/*.test.{ts,tsx}", "test/unit/**/*.test.{ts,tsx}", "test/worker/**/*.test.{ts,tsx}"],
          // The 50-way races take seconds when the end-to-end project shares the machine's two cores.
          testTimeout: 30_000,
          setupFiles: ["./test/worker/apply-migrations.ts"],
        },
      },
      {
        test: {
          name: "node",
          environment: "node",
          include: ["test/node/**/*.test.ts"],
        },
      },
      {
        test: {
          name: "e2e",
          environment: "node",
          include: ["test/e2e/**/*.test.ts"],
          setupFiles: ["./test/e2e/setup.ts"],
          testTimeout: 120_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
