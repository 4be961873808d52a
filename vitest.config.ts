import { defineConfig } from "vitest/config";

// Three projects. `fast` (npm test) is the everyday loop: unit, property and integration (nock) tests of the app.
// `e2e` (npm run test:e2e) runs the app over HTTP against the double, with real processes, git, Redis and the box.
// `double` (npm run test:double) is the GitHub double's own suite (packages/github-double). .ci/run and the
// workflow run all three; `npm run test:all` runs them together.
const E2E = ["test/e2e/**/*.test.ts", "test/cli/bench-load.test.ts"];

export default defineConfig({
  test: {
    setupFiles: ["test/support/setup.ts"],
    // Most files wait on child processes, git and timers rather than the CPU: four at once on two cores
    // finish in well under the time of one at a time. Deadlines are generous so a busy machine stays green.
    maxWorkers: 4,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
    projects: [
      // The fast loop shares each worker's modules between files (no re-import of Probot, Octokit and the app per
      // file: 168 → 131 s here). Its tests make their own state (a scenario, nock, a temp dir per test) and module
      // caches are keyed by content; three runs in shuffled file orders passed. The end-to-end files stay isolated.
      { extends: true, test: { name: "fast", include: ["test/**/*.test.ts"], exclude: E2E, isolate: false } },
      { extends: true, test: { name: "e2e", include: E2E } },
      { extends: true, test: { name: "double", include: ["packages/*/test/**/*.test.ts"] } },
    ],
  },
});
