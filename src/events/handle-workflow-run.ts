import type { Context } from "probot";
import { contractFor } from "../cells/contracts.js";
import { advance } from "../stages/advance.js";
import { CELL_WORKFLOW, collectWorkflowRun, issueOfJob, jobFromRunTitle } from "../stages/build/actions-runner.js";
import { loadConfig } from "./load-config.js";
import { enqueue, lineFor, scheduleLedger, storeFor, type Deps } from "./setup.js";

/**
 * A `factory-cell.yml` run completed: collect the cell's report and continue the
 * line. Runs of other workflows, and runs whose title names no factory job, are
 * ignored without a request.
 */
export function handleWorkflowRun(deps: Deps) {
  return async (context: Context<"workflow_run.completed">): Promise<void> => {
    const run = context.payload.workflow_run;
    if (!run.path.endsWith(`/${CELL_WORKFLOW}`)) return;
    const named = jobFromRunTitle(run.display_title);
    const issue = named && issueOfJob(named.job);
    if (!named || !issue) {
      context.log.warn({ run: run.id, title: run.display_title }, `a ${CELL_WORKFLOW} run whose title names no factory job; is the workflow's run-name changed?`);
      return;
    }
    enqueue(deps, context, issue, "collect workflow run", async () => {
      const store = await storeFor(context, deps);
      const config = await loadConfig(context, store, undefined);
      const contract = contractFor(deps.contracts, "build");
      if (!config || !contract) return;
      const line = lineFor(deps, context);
      await collectWorkflowRun(
        {
          store,
          contract,
          log: context.log,
          advance: async (loaded, trigger) => {
            await advance(store, config, line, loaded, trigger, { sync: true });
            scheduleLedger(deps, store, config, context.log);
          },
        },
        { id: run.id, conclusion: run.conclusion, title: run.display_title, htmlUrl: run.html_url },
        config.cells.build.harness ?? "command",
        config.cells.build.model,
      );
    });
  };
}
