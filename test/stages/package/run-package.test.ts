import { describe, expect, it } from "vitest";
import { contractFor, loadContracts } from "../../../src/cells/contracts.js";
import { configSchema } from "../../../src/config/schema.js";
import { ArtifactStore } from "../../../src/state/artifact-store.js";
import { runIntake } from "../../../src/stages/intake/run-intake.js";
import { runPackage, targetLabel } from "../../../src/stages/package/run-package.js";
import { MemoryRepo } from "../../support/memory-repo.js";

// The packager against an in-memory repository: the PR's files in, labels and a signed note out.
const KEY = Buffer.from("package-unit-test-key-0123456789abcdef");
const config = configSchema.parse({ package: { targets: { web: ["web/**"], desktop: ["desktop/**"], docs: ["**/*.md"] } } });
const contract = contractFor(loadContracts(), "package")!;

async function openArtifact() {
  const repo = new MemoryRepo();
  const store = new ArtifactStore(repo, { botLogin: "software-factory[bot]", key: KEY, log: { warn: () => {} } });
  const body = "### Goal\n\nA dark theme.\n\n### Success criteria\n\n- the web app has a dark theme";
  const log = { info: () => {}, warn: () => {} } as never;
  const { loaded } = await runIntake(store, config, { issue: { number: 3, title: "feat(web): dark theme", body, author: "octocat", labels: [] }, requestedBy: "octocat", defaultBranch: "main", key: "d1" }, log);
  const pr = loaded.artifact.pr!;
  repo.files.set(pr, [
    { path: "web/src/theme.ts", additions: 10, deletions: 2, status: "modified" },
    { path: "web/README.md", additions: 3, deletions: 0, status: "modified" },
  ]);
  return { repo, store, loaded, pr };
}

describe("runPackage (in-memory ports)", () => {
  it("labels the PR with each target its files ship to, and posts the note with its signed record on the PR", async () => {
    const { repo, store, loaded, pr } = await openArtifact();
    const record = await runPackage(store, config, contract, loaded, "pkg-1");
    expect(record.kind).toBe("stage.completed");
    expect(record.data).toMatchObject({ stage: "package", summary: "docs + web" });
    expect(repo.labels.get(pr)?.toSorted()).toEqual([targetLabel("docs"), targetLabel("web")]);
    expect(repo.repoLabels.has(targetLabel("desktop"))).toBe(false);
    const note = repo.comments.get(pr)!.at(-1)!.body;
    expect(note).toMatch(/docs \+ web/);
    expect(note).toMatch(/desktop/); // a configured target the change does not touch is shown with its 0 lines
    // The note's record is on the PR's thread, where the next load finds it.
    const reread = await store.load(3);
    expect(reread.records.at(-1)).toEqual(record);
  });

  it("a try after a failure between the labels and the record adds no label twice", async () => {
    const { repo, store, loaded, pr } = await openArtifact();
    await repo.addLabels(pr, [targetLabel("web")]);
    repo.calls.length = 0;
    await runPackage(store, config, contract, loaded, "pkg-1");
    expect(repo.calls.filter((c) => c.method === "addLabels")).toEqual([{ method: "addLabels", args: [pr, [targetLabel("docs")]] }]);
  });

  it("with no targets configured: the decision says so, and no target label is added", async () => {
    const { repo, store, loaded, pr } = await openArtifact();
    const bare = configSchema.parse({});
    repo.calls.length = 0;
    const record = await runPackage(store, bare, contract, loaded, "pkg-1");
    expect(record.data).toMatchObject({ stage: "package", summary: "no deploy target" });
    expect(repo.labels.get(pr) ?? []).toEqual([]);
    expect(repo.methods()).not.toContain("ensureLabel");
  });
});
