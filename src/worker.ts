// Gatehouse's own deployment: the built-in MCP server with `whoami`, configured by wrangler.jsonc and secrets.
import { createGatehouse } from "./index";

export { AssertionLedger, Grant, KeyRing } from "./index";
export default createGatehouse();
