import type { Probot } from "probot";
import { Box } from "./cells/box.js";
import { AckGate } from "./events/ack-gate.js";
import type { Deps } from "./events/context.js";
import { deadEventHandler, eventHandler } from "./events/dispatch.js";
import { fromWebhook } from "./events/from-webhook.js";
import type { RetryPolicy } from "./events/inbox.js";
import { createLineServices, type LineServices } from "./events/line-services.js";
import { botLoginResolver } from "./github/app-identity.js";
import { PortCaches } from "./github/repo-port.js";
import { loadContracts, type CellContract } from "./cells/contracts.js";
import { cellWorker, deadJobHandler } from "./events/cell-worker.js";
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

export interface FactoryAppOptions extends Partial<LineServices> {
  /** The key that signs records; from the environment when not given. */
  stateKey?: Buffer;
  /** Cell contracts; `cells/` when not given. */
  contracts?: ReadonlyMap<string, CellContract>;
  /** The environment harnesses take their allowed variables from, and where workspaces go. */
  env?: NodeJS.ProcessEnv;
  workRoot?: string;
  /** How long the ledger gathers a burst of changes into one refresh (default 2 s). */
  ledgerDelayMs?: number;
  /** How long after an Actions dispatch the line looks for its workflow run (default 2 min). */
  handOffCheckMs?: number;
  /** Where harnesses and verify commands run (default: from `FACTORY_SANDBOX`). */
  box?: Box;
  /** How failed events are tried again (default: `DEFAULT_RETRY`). */
  retry?: RetryPolicy;
  /** Told the services the app runs on, so the server can close them in order on shutdown. */
  onServices?: (services: LineServices) => void;
  /** The app's clock: the time its records carry and the line judges them by (default: the system's). Tests move it forward. */
  now?: () => Date;
}

/**
 * The app: every webhook it handles becomes an event for one artifact, queued in
 * the inbox before the webhook is answered (in Redis, durably), and handled by one
 * loop, one at a time per artifact (`events/dispatch.ts`). Cell jobs report back
 * through the same inbox.
 */
export function factoryApp(options: FactoryAppOptions = {}) {
  return (app: Probot): void => {
    const env = options.env ?? process.env;
    const services = createLineServices(env, app.log, options, options.retry ? { retry: options.retry } : {});
    options.onServices?.(services);
    const deps: Deps = {
      auth: (installationId) => app.auth(installationId),
      botLogin: botLoginResolver(app),
      stateKey: options.stateKey ?? stateKey(),
      caches: new PortCaches(),
      // A broken contract stops startup here, naming the file, the JSON path and the problem.
      contracts: options.contracts ?? loadContracts(),
      ...services,
      log: app.log,
      ledgerDelayMs: options.ledgerDelayMs ?? 2_000,
      gate: new AckGate(),
      handOffCheckMs: options.handOffCheckMs ?? 120_000,
      env,
      workRoot: options.workRoot,
      box: options.box ?? Box.fromEnv(env),
      now: options.now ?? (() => new Date()),
    };
    // The sandbox is checked once, at start: jobs are refused (saying what to install) while it does not work.
    void deps.box.status().then((status) => {
      if (!status.ok) app.log.error({ sandbox: status.kind, problem: status.problem }, "the sandbox does not work: builds and verify commands will be refused");
      else if (status.kind === "none") app.log.warn({ sandbox: "none" }, "FACTORY_SANDBOX=none: harnesses and verify commands run as the app's user, with access to the whole host; use it only on a machine that runs nothing else");
      else app.log.info({ sandbox: status.kind }, "sandbox ready");
    });
    const worker = { ...deps, emit: (event: Parameters<typeof deps.inbox.push>[0]) => deps.inbox.push(event) };
    // Workers start with the app: on Redis they pick up what a dead process left behind.
    deps.queue.start(cellWorker(worker, { env: options.env, workRoot: options.workRoot }), deadJobHandler(worker)).catch((error: unknown) => {
      app.log.error({ err: error }, "the cell queue could not start; builds will wait until it can");
    });
    deps.inbox.start(eventHandler(deps), deadEventHandler(deps)).catch((error: unknown) => {
      app.log.error({ err: error }, "the event inbox could not start; events wait until it can");
    });
    app.on([...HANDLED_EVENTS], async (context) => {
      const { action, repository } = context.payload as { action?: unknown; repository?: { full_name?: unknown } | null };
      const name = typeof action === "string" ? `${context.name}.${action}` : context.name;
      const translated = fromWebhook({ id: context.id, name, payload: context.payload });
      if ("malformed" in translated) {
        // Answered 200 all the same: the same payload would fail the same way again. One line says what and where.
        const where = typeof repository?.full_name === "string" ? repository.full_name.slice(0, 200) : "no repository";
        context.log.warn({ event: name, delivery: context.id, repository: where, reason: translated.malformed }, `${name} webhook ${context.id} (${where}) ignored: ${translated.malformed}`);
        return;
      }
      if ("ignored" in translated) {
        if (translated.warn) context.log.warn({ event: name, delivery: context.id, reason: translated.ignored }, `${name} webhook ${context.id} ignored: ${translated.ignored}`);
        else context.log.debug({ event: context.name, delivery: context.id, reason: translated.ignored }, "webhook ignored");
        return;
      }
      // Answered only once this resolves: with Redis the event is stored, so a crash after the answer loses nothing.
      await deps.gate.around(() => deps.inbox.push(translated.event));
    });
  };
}

export default factoryApp();
