// Types the `cloudflare:workers` env and exports seen by tests as the Worker's own.
import type { D1Migration } from "cloudflare:test";
import type { Env as WorkerEnv } from "../src/env";

declare global {
  namespace Cloudflare {
    interface Env extends WorkerEnv {
      TEST_MIGRATIONS: D1Migration[];
    }
    interface GlobalProps {
      mainModule: typeof import("../src/worker");
      durableNamespaces: "Grant" | "KeyRing";
    }
  }
}
