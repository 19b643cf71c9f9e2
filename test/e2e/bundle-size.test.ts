// The bundle budget: the Worker as `wrangler deploy --dry-run` bundles it stays under 350 KiB gzip (issue 5),
// because every cold start parses the whole bundle.
import { describe, expect, it } from "vitest";
import { BUNDLE_BUDGET_GZIP, kib, measureBundle } from "../../bench/bundle";

describe("bundle budget", () => {
  it("keeps the deployed Worker under 350 KiB gzip", () => {
    const size = measureBundle();
    expect(size.files).toContain("worker.js");
    expect(size.gzipBytes, `bundle is ${kib(size.bytes)}, ${kib(size.gzipBytes)} gzip`).toBeLessThanOrEqual(BUNDLE_BUDGET_GZIP);
  });
});
