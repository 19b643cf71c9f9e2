// Types the `cloudflare:workers` env seen by tests as the Worker's own: the generated bindings
// (worker-configuration.d.ts, which also types `exports`) plus the variables src/config/index.ts parses.
import type { D1Migration } from "cloudflare:test";
import type { ConfigVars } from "../src/env";

declare global {
  namespace Cloudflare {
    interface Env extends ConfigVars {
      TEST_MIGRATIONS: D1Migration[];
    }
  }
}
