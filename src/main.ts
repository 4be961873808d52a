import { pino } from "pino";
import { run } from "probot";
import { createQueue } from "./cells/queues.js";
import { factoryOctokit } from "./github/octokit.js";
import { factoryApp } from "./index.js";

/**
 * `npm start`: Probot's server (or its setup page, with no APP_ID) running the app
 * with the factory's Octokit. On SIGTERM/SIGINT the job queue closes first: running
 * jobs are put back (on Redis, another process picks them up) instead of stalling.
 */
const queue = createQueue(process.env, pino({ name: "factory-queue" }));
const server = await run(factoryApp({ queue }), { Octokit: factoryOctokit() });

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.once(signal, () => {
    // A queue that cannot close (Redis gone) must not keep the process alive.
    setTimeout(() => process.exit(1), 10_000).unref();
    void queue
      .close()
      .catch(() => undefined)
      .finally(() => {
        void server.stop().finally(() => process.exit(0));
      });
  });
}
