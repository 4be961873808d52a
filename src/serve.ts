import { run, type Probot, type ProbotOctokit, type Server } from "probot";
import { appLog } from "./app-log.js";
import { closeLineServices, type LineServices } from "./events/line-services.js";
import { boundWebhookEndpoint } from "./events/webhook-endpoint.js";
import { factoryApp, type FactoryAppOptions } from "./index.js";

export interface Serving {
  server: Server;
  /** Stops in order: no new deliveries, the events being handled finished or handed back, jobs back to the queue, connections closed. */
  shutdown(): Promise<void>;
}

/**
 * Probot's server (or its setup page, with no APP_ID) running the app. Probot's own
 * SIGINT handler stops the server and exits at once, before anything is handed
 * back; `serve` takes that over, so a shutdown always goes in the order above.
 */
export async function serve(options: { Octokit: typeof ProbotOctokit; app?: FactoryAppOptions; graceMs?: number }): Promise<Serving> {
  let services: LineServices | undefined;
  const app = factoryApp({ ...options.app, onServices: (s) => (services = s) });
  // Bodies are bounded and checked before Probot reads them (events/webhook-endpoint.ts); the log never carries one (app-log.ts).
  const withEndpoint = (probot: Probot) => {
    boundWebhookEndpoint(probot);
    app(probot);
  };
  const server = await run(withEndpoint, { Octokit: options.Octokit, log: await appLog() });
  process.removeAllListeners("SIGINT");
  let stopping: Promise<void> | undefined;
  const shutdown = () =>
    (stopping ??= (async () => {
      // Node closes idle keep-alive connections here and waits for requests in flight: each is an event being queued.
      await server.stop();
      if (services) await closeLineServices(services, { graceMs: options.graceMs ?? 10_000 });
    })());
  return { server, shutdown };
}

/** SIGTERM and SIGINT shut down in order, then exit; a shutdown that cannot finish (Redis gone) exits after `limitMs`. */
export function exitOnSignals(serving: Serving, log: { info(message: string): void }, limitMs = 30_000): void {
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    process.once(signal, () => {
      log.info(`${signal}: stopping (new deliveries refused, events in hand finished or handed back, jobs back to the queue)`);
      setTimeout(() => process.exit(1), limitMs).unref();
      serving.shutdown().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    });
  }
}
