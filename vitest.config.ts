import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts", "packages/*/test/**/*.test.ts"],
    setupFiles: ["test/support/setup.ts"],
    // Most files wait on child processes, git and timers rather than the CPU: four at once on two cores
    // finish in well under the time of one at a time. Deadlines are generous so a busy machine stays green.
    maxWorkers: 4,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
  },
});
