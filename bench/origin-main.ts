// The gateway scenario's origin as its own process (see startBenchOrigin in bench/gateway.ts): `node origin-main.mjs <port>`.
import { serveOrigin } from "./gateway";

const stop = await serveOrigin(Number(process.argv[2]));
process.once("SIGTERM", () => void stop().finally(() => process.exit(0)));
console.log("listening");
