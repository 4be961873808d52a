/**
 * A bare Probot app with a no-op handler, run with `node --import tsx` by the load
 * benchmark: what a webhook's acknowledgement costs on Probot alone, to compare the
 * app's against (same payloads, same signatures, same machine).
 */
import { run } from "probot";

process.stdin.on("end", () => process.exit(1));
process.stdin.resume();

await run((app) => {
  app.onAny(async () => {});
});
