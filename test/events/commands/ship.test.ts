import type { DoubleEvent, DoubleRequest, DoubleResponse } from "@software-factory/github-double";
import type { EmitterWebhookEvent } from "@octokit/webhooks";
import { describe, expect, it } from "vitest";
import { intercept } from "../../support/intercept.js";
import { useScenario, type Scenario } from "../../support/scenario.js";
import { intakeAndWait, isMergeClosed, mergeByHand, ScriptedRunner, webhooksFrom } from "../../support/scripted-line.js";

/**
 * `/factory ship` on an artifact the scripted line took to review: refused with the
 * reason while its verdict, reviews or role do not allow a merge; merged when they
 * do, with the release note where `package.changelog` says; behind its base, the base
 * merged in and the merge made once the new head passes.
 */

let s: Scenario;
let verifyFails = false;
let holdVerify = false;
const runner = new ScriptedRunner(() => s, {
  build: (n, issue) => ({ files: { [`src/feature-${issue}.js`]: `export const feature = ${n};\n` }, subject: `feat: dark mode, take ${n}` }),
  verifyFailure: () => (verifyFails ? { test: "dark mode", message: "Expected dark", file: "test/a.test.js", line: 3, lines: [] } : undefined),
  hold: (job) => holdVerify && job.cell === "verifier",
});

const config = (more: Record<string, unknown> = {}) => `${JSON.stringify({ cells: { build: { harness: "command", command: ["node", "agent.mjs"] } }, verify: { commands: ["npm test"], ciGraceMinutes: 0 }, ...more })}\n`;

const replies = (thread: number) => s.double.commentsOn(thread).filter((c) => c.user.type === "Bot").map((c) => c.body);
const lastReply = (thread: number) => replies(thread).at(-1) ?? "";

/** A comment by `who`, delivered; the webhooks the double sends meanwhile (a push's synchronize, a merge's closed) delivered after it, as GitHub would, until none are left. */
async function say(thread: number, who: string, body: string): Promise<void> {
  const sent: DoubleEvent[] = [];
  s.double.onEvent = (event) => sent.push(event);
  try {
    const { event } = s.comment(thread, who, body);
    await s.deliver(event);
    await s.idle();
    for (let i = 0; i < sent.length; i++) {
      const e = sent[i] as DoubleEvent;
      if (e.name !== "pull_request" || (e.payload.action !== "synchronize" && e.payload.action !== "closed")) continue;
      await s.deliver({ id: `double-${i}-${String(e.payload.action)}-${Date.now()}`, name: e.name, payload: e.payload } as unknown as EmitterWebhookEvent);
      await s.idle();
    }
  } finally {
    s.double.onEvent = () => {};
  }
}

const merged = (pr: number) => s.double.issues.get(pr)?.pull?.merged !== undefined;

/** Answers `fail` (once) for the first request `when` picks; every other request reaches the double. */
const failOnce = (when: (request: DoubleRequest) => boolean, fail: (request: DoubleRequest) => DoubleResponse | undefined) => intercept(s.double, when, fail).restore;

const changelogOnMain = () => s.double.git.readFile(s.double.git.refSha("heads/main") as string, "CHANGELOG.md") ?? "";

describe("/factory ship", () => {
  useScenario(
    (next) => {
      s = next;
      verifyFails = false;
      holdVerify = false;
    },
    { app: { queue: runner, onServices: (services) => runner.attach(services.inbox) } },
  );

  it("a reader is refused with the role it needs; missing approvals refuse; approved, it merges and the changelog gets the line", async () => {
    s.double.writeFile(".github/factory.yml", config({ package: { changelog: "CHANGELOG.md" } }));
    s.double.writeFile("CHANGELOG.md", "# Changelog\n\n## 1.0.0\n\n- First (#1)\n");
    s.double.permissions.set("reader", "read");
    s.double.reviewRules.set("main", { approvals: 1 });
    const { issue, pr } = await intakeAndWait(s, "Dark mode");

    await say(pr, "reader", "/factory ship");
    expect(lastReply(pr)).toMatch(/^Sorry @reader, `\/factory ship` changes the artifact, so it needs one of these roles on this repository: admin, maintain, write\./);

    await say(issue, "maintainer", "/factory ship");
    expect(lastReply(issue)).toMatch(/^Not shipped, @maintainer: the approving reviews that branch protection on `main` requires are not in yet\./);
    expect(merged(pr)).toBe(false);

    s.double.review(pr, "carol", { state: "APPROVE" });
    await say(pr, "maintainer", "/factory ship");
    expect(merged(pr)).toBe(true);
    expect(replies(pr).some((r) => /^Shipped for @maintainer: merged #\d+ \(squash\) at `[0-9a-f]{7}`, verified, with the reviews branch protection requires and up to date with `main`\./.test(r))).toBe(true);
    expect(replies(pr).some((r) => r.includes("The release note goes to `CHANGELOG.md` with the post-run note."))).toBe(true);
    expect(replies(pr).some((r) => r.startsWith("### Post-run note: merged") && r.includes("Release note: added to `CHANGELOG.md` under Unreleased → Changes on `main`."))).toBe(true);
    const changelog = s.double.git.readFile(s.double.git.refSha("heads/main") as string, "CHANGELOG.md");
    expect(changelog).toMatch(/^# Changelog\n\n## Unreleased\n\n### Changes\n\n- .*Dark mode.*\(#\d+\)\n\n## 1\.0\.0\n/);
    // The merge closed the PR: the analyst wrote its note, and the tracking comment says who shipped it.
    expect(replies(pr).some((r) => r.startsWith("### Post-run note: merged"))).toBe(true);
    // Asked again (or a redelivery of another comment): nothing more is merged or written.
    const changelogCommits = s.double.git.run(["rev-list", "--count", "refs/heads/main"]);
    await say(pr, "maintainer", "/factory ship");
    expect(lastReply(pr)).toMatch(/^Not shipped, @maintainer: it was already shipped \(by @maintainer\)\./);
    expect(s.double.git.run(["rev-list", "--count", "refs/heads/main"])).toBe(changelogCommits);
  });

  it("behind its base, and GitHub refuses to merge the base in (a workflow file the app may not merge): not shipped, saying why, and nothing retried", async () => {
    s.double.writeFile(".github/factory.yml", config());
    const { pr } = await intakeAndWait(s, "Dark mode");
    s.double.push("main", { ".github/workflows/ci.yml": "on: push\n" }, "Add CI");
    const refused = intercept(
      s.double,
      (r) => r.method === "POST" && r.path.endsWith("/merges"),
      () => ({ status: 403, body: { message: "refusing to allow a GitHub App to create or update workflow `.github/workflows/ci.yml` without `workflows` permission", documentation_url: "https://docs.github.com/rest/branches/branches#merge-a-branch" } }),
      10,
    );
    try {
      await say(pr, "maintainer", "/factory ship");
    } finally {
      refused.restore();
    }
    expect(refused.seen).toBe(1);
    expect(merged(pr)).toBe(false);
    expect(lastReply(pr)).toMatch(/^Not shipped, @maintainer: `factory\/1-dark-mode` is 1 commit behind `main`, and GitHub refused to merge `main` into it \(403\): refusing to allow a GitHub App to create or update workflow `\.github\/workflows\/ci\.yml` without `workflows` permission\. Update the branch by hand, then ship\./);
  });

  it("refuses a failing verdict and a head still being verified, with the reason; the draft release gets the line when it ships", async () => {
    s.double.writeFile(".github/factory.yml", config({ maxBuildAttempts: 1, package: { changelog: "release" } }));
    verifyFails = true;
    const failing = await intakeAndWait(s, "Broken");
    await say(failing.pr, "maintainer", "/factory ship");
    expect(lastReply(failing.pr)).toMatch(/^Not shipped, @maintainer: the verdict at `[0-9a-f]{7}` is a fail\./);
    expect(merged(failing.pr)).toBe(false);

    verifyFails = false;
    holdVerify = true;
    const pending = await intakeAndWait(s, "Pending");
    await say(pending.pr, "maintainer", "/factory ship");
    expect(lastReply(pending.pr)).toMatch(/^Not shipped, @maintainer: the head is being verified; ship once it passes\.\n/);

    holdVerify = false;
    const good = await intakeAndWait(s, "Search");
    await say(good.pr, "maintainer", "/factory ship");
    expect(merged(good.pr)).toBe(true);
    expect(s.double.releases).toHaveLength(1);
    expect(s.double.releases[0]).toMatchObject({ draft: true, name: "Unreleased" });
    expect(s.double.releases[0]?.body).toMatch(/^### Changes\n\n- .*Search.*\(#\d+\)\n$/);
  });

  it("a ship that failed after the merge: the merge's closed event places the release note; tried again after the line, it adds nothing", async () => {
    s.double.writeFile(".github/factory.yml", config({ package: { changelog: "CHANGELOG.md" } }));
    const { pr } = await intakeAndWait(s, "Dark mode");
    const posting = (start: string) => (r: DoubleRequest) => r.method === "POST" && /\/comments$/.test(r.path) && String((r.body as { body?: string }).body).startsWith(start);
    const serverError = () => ({ status: 502, body: { message: "Server Error" } });
    // The merge is made, then GitHub fails the ship's reply (so its record is never written), and the retry finds the PR merged.
    // The first post-run note fails too, after the changelog line: the closed event is handled again.
    const restoreShip = failOnce(posting("Shipped for"), serverError);
    const restoreNote = failOnce(posting("### Post-run note"), serverError);
    await say(pr, "maintainer", "/factory ship");
    restoreNote();
    restoreShip();
    expect(merged(pr)).toBe(true);
    expect(replies(pr).some((r) => r.startsWith("Shipped for"))).toBe(false);
    expect(replies(pr).some((r) => r.startsWith("Not shipped, @maintainer: #") && r.includes("is already merged; the post-run note follows."))).toBe(true);
    const notes = replies(pr).filter((r) => r.startsWith("### Post-run note: merged"));
    expect(notes).toHaveLength(1);
    expect(notes[0]).toContain("Release note: added to `CHANGELOG.md` under Unreleased → Changes on `main`.");
    expect(changelogOnMain().match(/Dark mode/g)).toHaveLength(1);
    const subjects = s.double.git.run(["log", "--format=%s", "refs/heads/main"]).split("\n");
    expect(subjects.filter((subject) => subject.startsWith("docs(changelog)"))).toHaveLength(1);
  });

  it("a merge by a person places the release note too; two merges at once both reach the one draft release", async () => {
    s.double.writeFile(".github/factory.yml", config({ package: { changelog: "release" } }));
    const first = await intakeAndWait(s, "Dark mode");
    const second = await intakeAndWait(s, "Search box");
    const closed = [first.pr, second.pr].flatMap((pr) => webhooksFrom(s, () => s.double.merge(pr), isMergeClosed));
    await Promise.all(closed.map((event) => s.deliver(event)));
    await s.idle();
    expect(s.double.releases).toHaveLength(1);
    const body = s.double.releases[0]?.body ?? "";
    expect(body).toMatch(/^### Changes\n\n- .*(Dark mode|Search box).*\(#\d+\)\n- .*(Dark mode|Search box).*\(#\d+\)\n$/);
    expect(body).toContain("Dark mode");
    expect(body).toContain("Search box");
    for (const pr of [first.pr, second.pr]) expect(replies(pr).find((r) => r.startsWith("### Post-run note: merged"))).toMatch(/Release note: added to (a new draft release, "Unreleased"|the draft release "Unreleased")\./);
  });

  it("a base branch that moves between reading the changelog and committing it: read again, and the line goes on top of the new head", async () => {
    s.double.writeFile(".github/factory.yml", config({ package: { changelog: "CHANGELOG.md" } }));
    s.double.writeFile("CHANGELOG.md", "# Changelog\n");
    const { pr } = await intakeAndWait(s, "Dark mode");
    // A person's push lands on main just as the factory makes its changelog commit.
    const restore = failOnce(
      (r) => r.method === "POST" && r.path.endsWith("/git/commits") && String((r.body as { message?: string }).message).startsWith("docs(changelog)"),
      () => {
        s.double.writeFile("README.md", "# widgets, by a person\n");
        return undefined;
      },
    );
    await mergeByHand(s, pr);
    restore();
    expect(changelogOnMain()).toMatch(/^# Changelog\n\n## Unreleased\n\n### Changes\n\n- .*Dark mode.*\(#\d+\)\n$/);
    expect(s.double.git.readFile(s.double.git.refSha("heads/main") as string, "README.md")).toBe("# widgets, by a person\n");
    expect(replies(pr).find((r) => r.startsWith("### Post-run note: merged"))).toContain("Release note: added to `CHANGELOG.md` under Unreleased → Changes on `main`.");
  });

  it("a person's edit of the changelog just after the factory read it is kept: the factory's commit is refused and made again on top of it", async () => {
    s.double.writeFile(".github/factory.yml", config({ package: { changelog: "CHANGELOG.md" } }));
    s.double.writeFile("CHANGELOG.md", "# Changelog\n");
    const { pr } = await intakeAndWait(s, "Dark mode");
    const handle = s.double.handle.bind(s.double);
    let edited = false;
    s.double.handle = (request: DoubleRequest) => {
      const answer = handle(request);
      if (!edited && request.method === "GET" && request.path.endsWith("/contents/CHANGELOG.md")) {
        edited = true;
        s.double.writeFile("CHANGELOG.md", "# Changelog\n\n## Unreleased\n\n### Changes\n\n- A person's line\n");
      }
      return answer;
    };
    try {
      await mergeByHand(s, pr);
    } finally {
      s.double.handle = handle;
    }
    expect(edited).toBe(true);
    expect(changelogOnMain()).toMatch(/^# Changelog\n\n## Unreleased\n\n### Changes\n\n- A person's line\n- .*Dark mode.*\(#\d+\)\n$/);
  });

  it("a draft release published between two tries of the merge's event: the line is found there and not put in a new draft", async () => {
    s.double.writeFile(".github/factory.yml", config({ package: { changelog: "release" } }));
    const { pr } = await intakeAndWait(s, "Dark mode");
    // The first try places the line, then fails on the post-run note; meanwhile a maintainer publishes the draft.
    const restore = failOnce(
      (r) => r.method === "POST" && /\/comments$/.test(r.path) && String((r.body as { body?: string }).body).startsWith("### Post-run note"),
      () => {
        const draft = s.double.releases[0];
        if (draft) Object.assign(draft, { draft: false, tagName: "v1.1.0", name: "v1.1.0", publishedAt: s.double.now() });
        return { status: 502, body: { message: "Server Error" } };
      },
    );
    try {
      await mergeByHand(s, pr);
    } finally {
      restore();
    }
    expect(s.double.releases).toHaveLength(1);
    expect(s.double.releases[0]).toMatchObject({ draft: false, name: "v1.1.0" });
    expect(replies(pr).find((r) => r.startsWith("### Post-run note: merged"))).toContain('Release note: already in the release "v1.1.0".');
  });

  it("GitHub not answering the release note's writes: the merge's event is tried again, and its last try posts the note saying the line was not placed", async () => {
    s.double.writeFile(".github/factory.yml", config({ package: { changelog: "release" } }));
    const { pr } = await intakeAndWait(s, "Dark mode");
    const refused = intercept(s.double, (r) => r.method === "POST" && r.path.endsWith("/releases"), () => ({ status: 502, body: { message: "Server Error" } }), Infinity);
    try {
      await mergeByHand(s, pr);
    } finally {
      refused.restore();
    }
    // Three tries (the scenario's inbox would give four): the third posts the note.
    expect(refused.seen).toBe(3);
    expect(s.double.releases).toHaveLength(0);
    const notes = replies(pr).filter((r) => r.startsWith("### Post-run note: merged"));
    expect(notes).toHaveLength(1);
    expect(notes[0]).toContain("Release note: not placed: GitHub kept failing (GitHub answered 502 to POST /repos/octo-org/widgets/releases: Server Error); add the line by hand (`package.changelog: release`).");
  });

  it("a stale pass is refused; behind its base, the base is merged in and the PR merges once the new head passes", async () => {
    s.double.writeFile(".github/factory.yml", config());
    const { pr } = await intakeAndWait(s, "Dark mode");
    const headBefore = s.double.issues.get(pr)?.pull?.head ?? "";

    // A person pushes; the verifier has not judged the new head yet.
    holdVerify = true;
    const sent: DoubleEvent[] = [];
    s.double.onEvent = (e) => sent.push(e);
    s.double.push(headBefore, { "src/extra.js": "export const extra = 1;\n" }, "A person's commit", "alice");
    s.double.onEvent = () => {};
    for (const e of sent.filter((x) => x.name === "pull_request")) await s.deliver({ id: "sync-person", name: e.name, payload: e.payload } as unknown as EmitterWebhookEvent);
    await s.idle();
    await say(pr, "maintainer", "/factory ship");
    expect(lastReply(pr)).toMatch(/^Not shipped, @maintainer: the pass verdict at `[0-9a-f]{7}` is for an older head; the head is `[0-9a-f]{7}` now\./);

    // Judged again (pass), then main moves on: ship merges main into the branch and waits for that head's verdict.
    holdVerify = false;
    await say(pr, "maintainer", "/factory verify");
    s.double.writeFile("README.md", "# widgets, newer\n");
    await say(pr, "maintainer", "/factory ship");
    expect(replies(pr).some((r) => /^`factory\/\d+-dark-mode` was 1 commit behind `main`: merged `main` into it for @maintainer\./.test(r))).toBe(true);
    expect(merged(pr)).toBe(true);
    expect(lastReply(pr)).toMatch(/^### Post-run note: merged/);
    expect(replies(pr).some((r) => r.startsWith("Shipped for @maintainer: merged"))).toBe(true);
  });

  it("a ship whose try died between merging the base in and its record: the next try finds its own merge on the verified head, waits on it, and merges once it passes", async () => {
    s.double.writeFile(".github/factory.yml", config());
    const { pr } = await intakeAndWait(s, "Dark mode");
    const branch = `heads/${s.double.issues.get(pr)?.pull?.head ?? ""}`;
    const verified = s.double.git.refSha(branch) ?? "";
    s.double.writeFile("README.md", "# widgets, newer\n");
    // The base is merged in; then the reply with the record is lost, as if the process died there.
    const lost = intercept(
      s.double,
      (r) => r.method === "POST" && r.path.endsWith("/comments") && JSON.stringify(r.body).includes("merged `main` into it"),
      () => ({ status: 500, body: { message: "Server Error" } }),
      1,
    );
    try {
      await say(pr, "maintainer", "/factory ship");
    } finally {
      lost.restore();
    }
    expect(lost.seen).toBe(1);
    const head = s.double.git.refSha(branch) ?? "";
    expect(s.double.git.run(["log", "-1", "--format=%P %s", head]).trim()).toMatch(new RegExp(`^${verified} [0-9a-f]{40} Merge main into factory/\\d+-dark-mode for /factory ship$`));

    // Asked again: not "the verdict is for an older head", which nothing would ever clear.
    await say(pr, "maintainer", "/factory ship");
    expect(replies(pr).filter((r) => /^`factory\/\d+-dark-mode` was 1 commit behind `main`: `main` was already merged into it at `[0-9a-f]{7}` by an earlier try of this ship, for @maintainer\./.test(r))).toHaveLength(1);
    expect(replies(pr).some((r) => r.includes("is for an older head"))).toBe(false);
    expect(merged(pr)).toBe(true);
    expect(replies(pr).some((r) => r.startsWith("Shipped for @maintainer: merged"))).toBe(true);
    // Merged at the merge commit the first try made: one update of the branch, not two.
    expect(s.double.git.run(["log", "--format=%s", `${head}^1..${head}`]).split("\n").filter((l) => l.startsWith("Merge main into"))).toHaveLength(1);
  });

  it("a merge commit of the same shape by a person, on a head that never passed, is not taken for the ship's", async () => {
    verifyFails = true;
    s.double.writeFile(".github/factory.yml", config());
    const { pr } = await intakeAndWait(s, "Broken");
    const branch = s.double.issues.get(pr)?.pull?.head ?? "";
    const head = s.double.git.refSha(`heads/${branch}`) ?? "";
    s.double.writeFile("README.md", "# widgets, newer\n");
    // Pushed as a person pushes: the synchronize makes the fail verdict stale.
    const sent: DoubleEvent[] = [];
    s.double.onEvent = (e) => sent.push(e);
    const before = s.double.refs;
    s.double.git.run(["update-ref", `refs/heads/${branch}`, s.double.git.run(["commit-tree", `${head}^{tree}`, "-p", head, "-p", "refs/heads/main", "-m", `Merge main into ${branch} for /factory ship`]).trim()]);
    s.double.refsPushed(before, "alice");
    s.double.onEvent = () => {};
    for (const e of sent.filter((x) => x.name === "pull_request")) await s.deliver({ id: "sync-alice", name: e.name, payload: e.payload } as unknown as EmitterWebhookEvent);
    await s.idle();
    await say(pr, "maintainer", "/factory ship");
    expect(lastReply(pr)).toMatch(/^Not shipped, @maintainer: (the pass verdict at `[0-9a-f]{7}` is for an older head|the line is at \*\*build\*\*)/);
    expect(replies(pr).some((r) => r.includes("already merged into it"))).toBe(false);
    expect(merged(pr)).toBe(false);
  });
});
