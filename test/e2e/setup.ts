// Runs before every e2e file: whatever a file started through the harness is stopped when the file ends, even when
// its beforeAll threw before it could keep the server (issue 13 item 6).
import { afterAll } from "vitest";
import { stopStartedGatehouses } from "../support/node/wrangler-dev";

afterAll(stopStartedGatehouses);
