import type { BoxStatus } from "../../cells/box.js";
import type { FactoryConfig } from "../../config/schema.js";
import { isStage, STAGES, type Stage } from "../../line/stages.js";
import type { LoadedArtifact } from "../../state/artifact-store.js";
import type { RecordDataOf } from "../../state/records.js";
import { statusView } from "../../views/comments.js";
import { scopeDigest, waitsForScope } from "../../line/scope.js";
import { render } from "../../views/render.js";

/**
 * What a command decides, as data: the reply to post and the record it carries.
 * Commands are pure; the handler does the I/O.
 */
export type CommandResult =
  | { kind: "answer"; reply: string; outcome: RecordDataOf<"command.answered">["outcome"] }
  | { kind: "stop"; reply: string }
  | { kind: "retry"; reply: string; stage: Stage }
  /** A pass with no evidence for commit `sha`, accepted by the person who asked. */
  | { kind: "accept"; reply: string; sha: string }
  /** Merge the PR if its head is verified, reviewed and up to date (the handler checks GitHub: `stages/ship`). */
  | { kind: "ship" }
  /** Promote the demand queue's top candidate to intake (the handler reads the queue). */
  | { kind: "next" }
  /** The scout's plan approved, for the goal and criteria as they are (`digest`). */
  | { kind: "approve"; reply: string; digest: string }
  /** The scout sent back with a person's guidance. */
  | { kind: "revise"; reply: string; guidance: string };

export interface CommandInput {
  args: string[];
  /** The command's line as written (for a command that takes free text: `/factory revise <guidance>`). */
  line: string;
  /** The lines of its paragraph below it, up to the next command (free text may go on there). */
  continuation?: string;
  actor: string;
  loaded: LoadedArtifact;
  config: FactoryConfig;
  /** This runner's sandbox, as its last self-test found it (undefined: not finished yet). */
  sandbox: BoxStatus | undefined;
}

export interface CommandSpec {
  name: string;
  usage: string;
  summary: string;
  /** State-changing: needs one of the configured roles. */
  mutates: boolean;
  /** Reads free text after it (its line and the lines below it): the event keeps that text. */
  takesText?: boolean;
  run(input: CommandInput): CommandResult;
}

const answer = (reply: string, outcome: "answered" | "rejected" = "answered"): CommandResult => ({ kind: "answer", reply, outcome });

const notAnArtifact = (issue: number) =>
  answer(`#${issue} has no factory artifact yet: label the issue \`factory:intake\` to start one.`, "rejected");

const NO_HARNESS =
  "No coding agent is configured: set `cells.build.harness` in `.github/factory.yml` (for example `claude-code`, `codex`, `aider`, or `command` with an argv), then `/factory build` again.";

/** Where this repository's harness and verify commands run, and how well they are boxed in. */
export function sandboxLine(sandbox: BoxStatus | undefined, runner: "local" | "actions"): string {
  if (!sandbox) return "being checked (the app has just started)";
  const box =
    sandbox.kind === "none"
      ? "**none**: harnesses and verify commands run as the app's user, with the host open to them (`FACTORY_SANDBOX=none`)"
      : `\`${sandbox.kind}\`${sandbox.image ? ` (image \`${sandbox.image}\`)` : ""}`;
  const state = sandbox.ok ? box : `${box}, **not working**: ${sandbox.problem ?? "its self-test failed"} Builds and verify commands are refused until it works.`;
  const line = runner === "actions" ? `builds on GitHub Actions (GitHub's runner VM); verify commands here in ${state}` : state;
  return line.replaceAll("|", "\\|");
}

/** Later stages add their commands here. */
export const COMMANDS: CommandSpec[] = [
  {
    name: "help",
    usage: "/factory help",
    summary: "List the commands.",
    mutates: false,
    run: ({ config }) =>
      answer(
        render("comments/help.md", {
          commands: COMMANDS.map((c) => ({ ...c, roles: config.commands.allowedRoles.join(", ") })),
        }),
      ),
  },
  {
    name: "status",
    usage: "/factory status",
    summary: "Show the artifact as the factory's records see it.",
    mutates: false,
    run: ({ loaded, config, sandbox }) => answer(statusView(loaded.artifact, loaded.issue, sandboxLine(sandbox, config.cells.build.runner))),
  },
  {
    name: "stop",
    usage: "/factory stop",
    summary: "Stop the artifact; nothing more runs until `/factory retry`.",
    mutates: true,
    run: ({ loaded, actor }) => {
      const { artifact } = loaded;
      if (artifact.pr === undefined) return notAnArtifact(loaded.issue);
      if (artifact.status === "stopped") return answer("Already stopped. `/factory retry` resumes it.");
      if (artifact.status === "done") return answer("The line is already done for this artifact; there is nothing to stop.", "rejected");
      return { kind: "stop", reply: `Stopped by @${actor} at the **${artifact.stage}** stage. \`/factory retry\` resumes it.` };
    },
  },
  {
    name: "retry",
    usage: "/factory retry [stage]",
    summary: `Run a stage again (default: the current one). Stages: ${STAGES.slice(1).join(", ")}.`,
    mutates: true,
    run: ({ loaded, args, actor }) => {
      const { artifact } = loaded;
      if (artifact.pr === undefined) return notAnArtifact(loaded.issue);
      const wanted = args[0]?.toLowerCase();
      if (wanted !== undefined && (!isStage(wanted) || wanted === "intake")) {
        return answer(`\`${wanted.slice(0, 40)}\` is not a stage that can be retried; use one of ${STAGES.slice(1).map((s) => `\`${s}\``).join(", ")}.`, "rejected");
      }
      const stage = wanted ?? artifact.stage;
      if (stage === "done") return answer("The line is done for this artifact; name a stage to run again, e.g. `/factory retry verify`.", "rejected");
      if (stage === "intake") return answer("Intake cannot be retried; edit the issue instead.", "rejected");
      return { kind: "retry", reply: `Retrying **${stage}**, as @${actor} asked.`, stage };
    },
  },
  {
    name: "verify",
    usage: "/factory verify [--accept-no-evidence]",
    summary: "Verify the PR head now: its checks, statuses and `verify.commands`; posts the verdict and sets the factory/verify check. With `--accept-no-evidence`, a commit nothing verified passes anyway, and the post-run note says who accepted it.",
    mutates: true,
    run: ({ loaded, actor, args }) => {
      const { artifact } = loaded;
      if (artifact.pr === undefined) return notAnArtifact(loaded.issue);
      if (args.includes("--accept-no-evidence")) {
        if (artifact.verification !== "no-evidence" || !artifact.verifiedSha || artifact.status !== "active") {
          return answer("There is nothing to accept: `--accept-no-evidence` is for a commit the verifier found no evidence for, and this artifact is not waiting on one.", "rejected");
        }
        return { kind: "accept", reply: `Accepted \`${artifact.verifiedSha.slice(0, 7)}\` without evidence, as @${actor} asked: the verifier passes it, and the post-run note will say so.`, sha: artifact.verifiedSha };
      }
      if (artifact.running?.stage === "build" && artifact.status === "active") {
        return answer(`A build is running (job \`${artifact.running.job}\`); the verifier runs when it finishes.`, "rejected");
      }
      return { kind: "retry", reply: `Verifying the head of PR #${artifact.pr}, as @${actor} asked.`, stage: "verify" };
    },
  },
  {
    name: "build",
    usage: "/factory build",
    summary: "Run the builder now (again), with the latest memo and feedback.",
    mutates: true,
    run: ({ loaded, actor, config }) => {
      const { artifact } = loaded;
      if (artifact.pr === undefined) return notAnArtifact(loaded.issue);
      if (!config.cells.build.harness) {
        return answer(NO_HARNESS, "rejected");
      }
      if (artifact.running?.stage === "build" && artifact.status === "active") {
        return answer(`A build is already running (job \`${artifact.running.job}\`); \`/factory stop\` cancels it.`, "rejected");
      }
      return { kind: "retry", reply: `Building, as @${actor} asked.`, stage: "build" };
    },
  },
  {
    name: "next",
    usage: "/factory next",
    summary: "Promote the top of the demand queue (issues labelled `factory:candidate`, ranked by reactions, commenters, links and labels) to intake. Works on any issue.",
    mutates: true,
    run: () => ({ kind: "next" }),
  },
  {
    name: "approve",
    usage: "/factory approve",
    summary: "Approve the scout's plan (with `gates.scope: true`): the build starts.",
    mutates: true,
    run: ({ loaded, actor, config }) => {
      const { artifact } = loaded;
      if (artifact.pr === undefined) return notAnArtifact(loaded.issue);
      if (!config.gates.scope) return answer("There is no plan to approve: the scope gate is off (`gates.scope: true` in `.github/factory.yml` turns it on); the build starts after the scout on its own.", "rejected");
      if (artifact.status !== "active") return answer(`There is no plan to approve: the artifact is ${artifact.status}.`, "rejected");
      if (artifact.stage === "scout") return answer("The scout is still writing its plan; approve it once the memo is up.", "rejected");
      if (!waitsForScope(artifact, config)) {
        return answer(artifact.scopeApproved ? `The plan is already approved (by @${artifact.scopeApproved.by}).` : "There is no plan waiting for approval.", "rejected");
      }
      return { kind: "approve", reply: `Plan approved by @${actor}: the build starts.`, digest: scopeDigest(artifact.goal, artifact.criteria) };
    },
  },
  {
    name: "revise",
    usage: "/factory revise <guidance>",
    summary: "Send the scout back with guidance (what to look at, what to leave alone); its new plan waits for approval again.",
    mutates: true,
    takesText: true,
    run: ({ loaded, actor, line, continuation }) => {
      const { artifact } = loaded;
      if (artifact.pr === undefined) return notAnArtifact(loaded.issue);
      if (artifact.status !== "active") return answer(`Nothing to revise: the artifact is ${artifact.status}.`, "rejected");
      // Free text after the command and on the lines below it, as written (data for the scout and the builder, never an instruction to the app).
      const guidance = [line.replace(/^\s*\/factory\s+revise\b/i, "").trim(), continuation ?? ""].filter(Boolean).join("\n").slice(0, 1000);
      if (!guidance) return answer("Say what to change: `/factory revise <guidance>`, e.g. `/factory revise the setting lives in src/settings, not src/theme`.", "rejected");
      return { kind: "revise", reply: `Sending the scout back with @${actor}'s guidance; its new plan comes up for approval.`, guidance };
    },
  },
  {
    name: "ship",
    usage: "/factory ship",
    summary: "Merge the pull request when its head has a pass verdict, the reviews branch protection requires are in, and it is up to date with its base (it merges the base in and ships once the new head passes). The release note goes where `package.changelog` says.",
    mutates: true,
    run: ({ loaded }) => (loaded.artifact.pr === undefined ? notAnArtifact(loaded.issue) : { kind: "ship" }),
  },
];

export function findCommand(name: string): CommandSpec | undefined {
  return COMMANDS.find((c) => c.name === name);
}

/** Whether a role may run state-changing commands; `permission` (the legacy field) covers custom roles. */
export function mayMutate(config: FactoryConfig, access: { role: string; permission: string }): boolean {
  const allowed: readonly string[] = config.commands.allowedRoles;
  return allowed.includes(access.role) || allowed.includes(access.permission);
}
