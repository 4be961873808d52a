import type { Probot } from "probot";
import { handleComment } from "./events/handle-comment.js";
import { handleIntake } from "./events/handle-intake.js";
import { handleWorkflowRun } from "./events/handle-workflow-run.js";
import { handleCheckEvent, handleSynchronize } from "./events/handle-checks.js";
import { handlePullClosed, handleReview } from "./events/handle-pull-end.js";
import type { Deps } from "./events/setup.js";
import { botLoginResolver } from "./github/app-identity.js";
import { PortCaches } from "./github/repo-port.js";
import { Background } from "./cells/background.js";
import { loadContracts, type CellContract } from "./cells/contracts.js";
import { createQueue } from "./cells/queues.js";
import type { JobQueue } from "./cells/queue.js";
import { cellWorker, deadJobHandler } from "./cells/worker.js";
import { stateKey } from "./state/sign.js";

/** Every webhook the app handles; `app.yml` must subscribe to each (a test checks). */
export const HANDLED_EVENTS = [
  "issues.labeled",
  "issues.edited",
  "issue_comment.created",
  "workflow_run.completed",
  "check_run.completed",
  "check_suite.completed",
  "status",
  "pull_request.synchronize",
  "pull_request.closed",
  "pull_request_review.submitted",
] as const;

export interface FactoryAppOptions {
  /** Tests and the sandbox pass their own, to wait until the line is idle. */
  background?: Background;
  /** The key that signs records; from the environment when not given. */
  stateKey?: Buffer;
  /** Cell contracts; `cells/` when not given. */
  contracts?: ReadonlyMap<string, CellContract>;
  /** The local runner's queue; from the environment (`REDIS_URL`, `FACTORY_WORKERS`) when not given. */
  queue?: JobQueue;
  /** The environment harnesses take their allowed variables from, and where workspaces go. */
  env?: NodeJS.ProcessEnv;
  workRoot?: string;
}

export function factoryApp(options: FactoryAppOptions = {}) {
  return (app: Probot): void => {
    const deps: Deps = {
      botLogin: botLoginResolver(app),
      stateKey: options.stateKey ?? stateKey(),
      caches: new PortCaches(),
      // A broken contract stops startup here, naming the file, the JSON path and the problem.
      contracts: options.contracts ?? loadContracts(),
      background: options.background ?? new Background((key, error) => app.log.error({ err: error, key }, "background work failed")),
      queue: options.queue ?? createQueue(options.env ?? process.env, app.log),
    };
    // Workers start with the app: a Redis-backed queue picks up jobs a dead process left behind.
    deps.queue.start(cellWorker(app, deps, { env: options.env, workRoot: options.workRoot }), deadJobHandler(app, deps)).catch((error: unknown) => {
      app.log.error({ err: error }, "the cell queue could not start; builds will wait until it can");
    });
    const intake = handleIntake(deps);
    app.on("issues.labeled", intake);
    app.on("issues.edited", intake);
    app.on("issue_comment.created", handleComment(deps));
    const checks = handleCheckEvent(deps);
    const cellRuns = handleWorkflowRun(deps);
    app.on("workflow_run.completed", async (context) => {
      await cellRuns(context);
      await checks(context);
    });
    app.on(["check_run.completed", "check_suite.completed", "status"], checks);
    app.on("pull_request.synchronize", handleSynchronize(deps));
    app.on("pull_request.closed", handlePullClosed(deps));
    app.on("pull_request_review.submitted", handleReview(deps));
  };
}

export default factoryApp();
