// src/env.ts names two Workers globals that worker-configuration.d.ts declares; these Node tests only reach it
// through types (src/config reads ConfigVars from it), so empty shapes are enough here.
declare namespace Cloudflare {
  interface Env {}
}
interface RateLimit {}
