import { unzipSync } from "fflate";
import { describe, expect, it } from "vitest";
import { failure, useDouble, type DoubleHarness } from "./use-double.js";

/** GitHub Actions in the double, over HTTP: dispatch, runs, jobs, logs and artifacts behind redirects. */

const repo = { owner: "octo-org", repo: "widgets" };
const BUILD = `name: build
run-name: build \${{ inputs.job }}
on:
  workflow_dispatch:
    inputs:
      job: { description: "job id", required: true }
      note: { description: "a note", required: false, default: "none" }
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - run: echo hi
`;
const FILES = {
  "README.md": "# widgets\n",
  ".github/workflows/build.yml": BUILD,
  ".github/workflows/on-push.yml": "name: on push\non: push\njobs: {}\n",
};

describe("GitHub Actions over HTTP", () => {
  let h: DoubleHarness;
  useDouble((next) => void (h = next), FILES);

  it("refuses a dispatch as GitHub does: 404 for an unknown workflow, 422 for a ref without the file or the trigger, or wrong inputs", async () => {
    const dispatch = (workflow: string | number, ref: string, inputs: Record<string, string> = { job: "j1" }) => failure(h.octokit.rest.actions.createWorkflowDispatch({ ...repo, workflow_id: workflow, ref, inputs }));
    expect(await dispatch("nope.yml", "main")).toMatchObject({ status: 404 });
    expect(await dispatch("on-push.yml", "main")).toMatchObject({ status: 422, message: "Workflow does not have 'workflow_dispatch' trigger" });
    expect(await dispatch("build.yml", "no-such-branch")).toMatchObject({ status: 422, message: "No ref found for: no-such-branch" });
    // A branch whose copy of the workflow file is gone: known on the default branch, absent on the ref.
    const main = h.double.refs.get("heads/main") ?? "";
    const { data: tree } = await h.octokit.rest.git.createTree({ ...repo, base_tree: h.double.git.commit(main).tree, tree: [{ path: ".github/workflows/build.yml", mode: "100644", type: "blob", sha: null }] });
    const { data: commit } = await h.octokit.rest.git.createCommit({ ...repo, message: "Drop the workflow", tree: tree.sha, parents: [main] });
    await h.octokit.rest.git.createRef({ ...repo, ref: "refs/heads/bare", sha: commit.sha });
    expect(await dispatch("build.yml", "bare")).toMatchObject({ status: 422, message: "Workflow does not have 'workflow_dispatch' trigger" });
    expect(await dispatch("build.yml", "main", { job: "j1", extra: "x" })).toMatchObject({ status: 422, message: 'Unexpected inputs provided: ["extra"]' });
    expect(await dispatch("build.yml", "main", { note: "n" })).toMatchObject({ status: 422, message: "Required input 'job' not provided" });
    expect(h.double.workflowRuns()).toEqual([]);
    expect(h.take().filter((e) => e.startsWith("workflow"))).toEqual([]);
  });

  it("a dispatch queues a run (workflow_run requested); the runner's result announces each job, then the run; runs filter by event, branch and status", async () => {
    const response = await h.octokit.rest.actions.createWorkflowDispatch({ ...repo, workflow_id: "build.yml", ref: "main", inputs: { job: "j1" } });
    expect(response.status).toBe(204);
    expect(h.take()).toEqual(["workflow_run.requested"]);
    expect(h.last("workflow_run.requested")).toMatchObject({ workflow_run: { status: "queued", event: "workflow_dispatch", head_branch: "main", display_title: "build j1", path: ".github/workflows/build.yml" }, workflow: { path: ".github/workflows/build.yml", name: "build" } });
    const workflowId = (h.last("workflow_run.requested").workflow as { id: number }).id;
    await h.octokit.rest.actions.createWorkflowDispatch({ ...repo, workflow_id: workflowId, ref: "refs/heads/main", inputs: { job: "j2", note: "by id" } });
    expect(h.double.dispatches.map((d) => [d.workflow, d.ref, d.inputs])).toEqual([
      [".github/workflows/build.yml", "main", { job: "j1" }],
      [".github/workflows/build.yml", "main", { job: "j2", note: "by id" }],
    ]);
    const [second, first] = h.double.workflowRuns();
    expect(first?.inputs).toEqual({ job: "j1", note: "none" });
    h.take();

    h.double.completeWorkflowRun(first?.id ?? 0, {
      conclusion: "failure",
      jobs: [
        { name: "build", conclusion: "success", log: "built\n" },
        { name: "test", conclusion: "failure", log: "1 test failed\n" },
      ],
    });
    expect(h.take()).toEqual(["workflow_job.completed", "workflow_job.completed", "workflow_run.completed"]);
    expect(h.last("workflow_job.completed")).toMatchObject({ workflow_job: { name: "test", conclusion: "failure", run_id: first?.id, head_sha: first?.head_sha } });
    expect(h.last("workflow_run.completed")).toMatchObject({ workflow_run: { id: first?.id, status: "completed", conclusion: "failure" } });

    const runs = (query: Record<string, string>) => h.octokit.rest.actions.listWorkflowRunsForRepo({ ...repo, ...query }).then((r) => r.data.workflow_runs.map((w) => w.id));
    expect(await runs({})).toEqual([second?.id, first?.id]);
    expect(await runs({ status: "queued" })).toEqual([second?.id]);
    expect(await runs({ status: "failure" })).toEqual([first?.id]);
    expect(await runs({ event: "push" })).toEqual([]);
    expect(await runs({ branch: "main", event: "workflow_dispatch" })).toEqual([second?.id, first?.id]);
    expect((await h.octokit.rest.actions.getWorkflowRun({ ...repo, run_id: first?.id ?? 0 })).data).toMatchObject({ conclusion: "failure", run_number: 1 });
    expect((await failure(h.octokit.rest.actions.getWorkflowRun({ ...repo, run_id: 1 }))).status).toBe(404);
  });

  it("serves jobs, their logs and the run's artifacts behind 302 redirects to a download URL on loopback", async () => {
    await h.octokit.rest.actions.createWorkflowDispatch({ ...repo, workflow_id: "build.yml", ref: "main", inputs: { job: "j1" } });
    const runId = h.double.workflowRuns()[0]?.id ?? 0;
    h.double.completeWorkflowRun(runId, {
      conclusion: "success",
      artifacts: { report: { "output.json": '{"ok":true}\n', "logs/tail.txt": "done\n" } },
      jobs: [{ name: "build", conclusion: "success", log: "line one\nline two\n" }],
    });

    const { data: jobs } = await h.octokit.rest.actions.listJobsForWorkflowRun({ ...repo, run_id: runId });
    expect(jobs).toMatchObject({ total_count: 1, jobs: [{ name: "build", conclusion: "success", status: "completed", run_id: runId }] });
    const jobId = jobs.jobs[0]?.id ?? 0;
    expect((await h.octokit.rest.actions.getJobForWorkflowRun({ ...repo, job_id: jobId })).data.name).toBe("build");

    const auth = { authorization: `token ${h.token}` };
    const logRedirect = await fetch(`${h.server.apiUrl}/repos/octo-org/widgets/actions/jobs/${jobId}/logs`, { headers: auth, redirect: "manual" });
    expect(logRedirect.status).toBe(302);
    const logUrl = logRedirect.headers.get("location") ?? "";
    expect(logUrl.startsWith(`http://${h.server.host}/`)).toBe(true);
    // The download URL is signed on GitHub: it needs no token.
    expect(await (await fetch(logUrl)).text()).toBe("line one\nline two\n");
    const { data: log } = await h.octokit.rest.actions.downloadJobLogsForWorkflowRun({ ...repo, job_id: jobId });
    expect(log).toBe("line one\nline two\n");

    const { data: listed } = await h.octokit.rest.actions.listWorkflowRunArtifacts({ ...repo, run_id: runId });
    expect(listed).toMatchObject({ total_count: 1, artifacts: [{ name: "report", expired: false, workflow_run: { id: runId } }] });
    const artifactId = listed.artifacts[0]?.id ?? 0;
    const zipRedirect = await fetch(`${h.server.apiUrl}/repos/octo-org/widgets/actions/artifacts/${artifactId}/zip`, { headers: auth, redirect: "manual" });
    expect(zipRedirect.status).toBe(302);
    const { data: zip } = await h.octokit.rest.actions.downloadArtifact({ ...repo, artifact_id: artifactId, archive_format: "zip" });
    const files = unzipSync(new Uint8Array(zip as ArrayBuffer));
    expect(Object.fromEntries(Object.entries(files).map(([name, bytes]) => [name, Buffer.from(bytes).toString("utf8")]))).toEqual({ "output.json": '{"ok":true}\n', "logs/tail.txt": "done\n" });

    expect((await failure(h.octokit.rest.actions.downloadArtifact({ ...repo, artifact_id: 1, archive_format: "zip" }))).status).toBe(404);
    expect((await failure(h.octokit.rest.actions.downloadJobLogsForWorkflowRun({ ...repo, job_id: 1 }))).status).toBe(404);
    expect((await fetch(`http://${h.server.host}/_blobs/artifacts/1.zip`)).status).toBe(404);
  });
});
