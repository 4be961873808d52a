import { readFileSync } from "node:fs";
import { expect } from "vitest";
import type { Failure } from "../../../../src/stages/verify/failures/index.js";

/**
 * A fixture: a tool's real output, captured by test/fixtures/verify-output/capture.sh
 * from a small project with deliberate bugs (the script holds their sources).
 */
export function fixture(path: string): string {
  return readFileSync(new URL(`../../../fixtures/verify-output/${path}`, import.meta.url), "utf8");
}

/** What a reader needs from each failure, without the excerpt. */
export function brief(failures: readonly Failure[]): Pick<Failure, "test" | "message" | "file" | "line">[] {
  return failures.map((f) => ({ test: f.test, message: f.message, file: f.file, line: f.line }));
}

/** Every excerpt within the default cap, and not empty. */
export function expectShort(failures: readonly Failure[], max = 15): void {
  expect(failures.length).toBeGreaterThan(0);
  for (const f of failures) {
    expect(f.lines.length).toBeGreaterThan(0);
    expect(f.lines.length).toBeLessThanOrEqual(max);
  }
}
