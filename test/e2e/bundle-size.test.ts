// The bundle budget: the Worker as `wrangler deploy --dry-run` bundles it (minified) stays under 250 KiB gzip (issues 5, 17),
// because every cold start parses the whole bundle.
import { describe, expect, it } from "vitest";
import { BUNDLE_BUDGET_GZIP, kib, measureBundle } from "../../bench/bundle";

describe("bundle budget", () => {
  it("keeps the deployed Worker under 250 KiB gzip", () => {
    const size = measureBundle();
    expect(size.files).toContain("worker.js");
    expect(size.gzipBytes, `bundle is ${kib(size.bytes)}, ${kib(size.gzipBytes)} gzip`).toBeLessThanOrEqual(BUNDLE_BUDGET_GZIP);
  });
});
