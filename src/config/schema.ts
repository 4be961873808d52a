import { z } from "zod";

/** Repository roles, as `GET .../collaborators/{user}/permission` reports them in `role_name`. */
export const ROLES = ["admin", "maintain", "write", "triage", "read"] as const;

const label = z.string().min(1).max(50);
const stageSwitch = z.strictObject({ enabled: z.boolean().default(true) }).prefault({});

/** The coding-agent CLIs the factory knows how to run unattended; `command` runs any argv. */
export const HARNESSES = ["command", "gptme", "claude-code", "codex", "aider", "opencode"] as const;
export type HarnessName = (typeof HARNESSES)[number];

export const RUNNERS = ["inline", "local", "actions"] as const;
export type RunnerName = (typeof RUNNERS)[number];

/** Which harness (and model) runs, for how long, and which environment variables reach it. */
const harnessFields = {
  harness: z.enum(HARNESSES).optional().describe("The coding agent. Unset: the stage fails, saying to choose one."),
  model: z.string().min(1).max(200).optional(),
  command: z
    .array(z.string().min(1).max(2000))
    .min(1)
    .max(100)
    .optional()
    .describe("For `harness: command`: the argv, with {prompt_file}, {prompt}, {workspace}, {output_file} and {model} filled in."),
  timeoutMinutes: z.number().positive().max(360).default(30),
  network: z
    .enum(["open", "none"])
    .default("open")
    .describe("On the local runner: `none` runs the harness in a box with no network at all (bubblewrap); `open` lets it reach its model's API and package registries."),
  env: z
    .array(z.string().regex(/^[A-Z_][A-Z0-9_]*$/, "must be an environment variable name, like `ANTHROPIC_API_KEY`"))
    .max(50)
    .default([])
    .describe("Variables passed from the runner's environment to the harness (only those the operator allows)."),
};
const needsCommand = { message: "`harness: command` needs `command`, the argv to run", path: ["command"] };

/** Which harness (and model) runs a cell, where, for how long, and which environment variables reach it. */
const cellChoice = z
  .strictObject({
    runner: z.enum(["local", "actions"]).default("local").describe("`local`: the app's worker pool; `actions`: a GitHub Actions workflow in this repository."),
    ...harnessFields,
  })
  .refine((c) => c.harness !== "command" || c.command !== undefined, needsCommand)
  .prefault({});

/** The reflection model of `factory learn prompts`: a harness like the builder's, run where the command runs. */
const reflectChoice = z
  .strictObject(harnessFields)
  .refine((c) => c.harness !== "command" || c.command !== undefined, needsCommand)
  .prefault({});

/** Limits that block an artifact with a clear comment instead of letting it loop. */
const budget = z
  .strictObject({
    attempts: z.number().int().min(1).max(100).optional(),
    wallMinutes: z.number().positive().max(10_080).optional(),
    costUsd: z.number().nonnegative().max(10_000).optional(),
  })
  .prefault({});

/**
 * `.github/factory.yml`. Strict objects: an unknown key is almost always a typo,
 * and saying so beats silently ignoring it.
 */
export const configSchema = z
  .strictObject({
    labels: z
      .strictObject({
        intake: label.default("factory:intake").describe("The label that hands an issue to the factory."),
        needsCriteria: label.default("factory:needs-criteria"),
        stagePrefix: z.string().min(1).max(40).default("factory:stage/"),
        stopped: label.default("factory:stopped"),
        blocked: label.default("factory:blocked"),
        ledger: label.default("factory:ledger"),
        learn: label.default("factory:learn").describe("On the issues that propose learning from the repository's history (a refit of the scout)."),
      })
      .prefault({}),
    commands: z
      .strictObject({
        allowedRoles: z
          .array(z.enum(ROLES))
          .min(1)
          .default(["admin", "maintain", "write"])
          .describe("Repository roles that may run state-changing /factory commands."),
      })
      .prefault({}),
    branchPrefix: z
      .string()
      .regex(/^[A-Za-z0-9._/-]+\/$/, "must be a branch-name prefix ending in `/`, like `factory/`")
      .default("factory/"),
    maxBuildAttempts: z.number().int().min(1).max(20).default(3),
    stages: z
      .strictObject({
        scout: stageSwitch,
        build: stageSwitch,
        verify: stageSwitch,
        package: stageSwitch,
        analyst: stageSwitch,
        learn: stageSwitch,
      })
      .prefault({}),
    cells: z
      .strictObject({
        build: cellChoice,
        reflect: reflectChoice.describe("`factory learn prompts`: the harness (or model) that reads replayed artifacts' feedback and rewrites a cell's prompt template."),
        image: z
          .string()
          .regex(/^[a-z0-9][a-z0-9._/:@-]*$/, "must be a container image reference, like `ghcr.io/acme/factory-node:22`")
          .max(300)
          .optional()
          .describe("With the docker or podman sandbox: the image the harness and verify commands run in, if the runner's operator allows it (`FACTORY_SANDBOX_IMAGES`). Unset: the operator's image."),
      })
      .prefault({}),
    verify: z
      .strictObject({
        commands: z
          .array(z.string().min(1).max(1000))
          .max(20)
          .default([])
          .describe("Commands the verifier runs at the PR head (with `sh -c`, on the local runner), besides the checks and statuses GitHub reports."),
        timeoutMinutes: z.number().positive().max(120).default(15).describe("Per command."),
        ignoreChecks: z.array(z.string().min(1).max(200)).max(50).default([]).describe("Check runs and status contexts that do not count, by name."),
        requiredChecks: z
          .array(z.string().min(1).max(200))
          .max(50)
          .default([])
          .describe("Check runs and status contexts (names or globs, like `ci/*`) that must report on the PR head before there is a verdict. Empty: the base branch's required status checks (branch protection and rulesets), else whatever CI starts on the commit."),
        ciGraceMinutes: z
          .number()
          .min(0)
          .max(1440)
          .default(10)
          .describe("With no required checks, how long CI has to register its checks on a new commit before the verifier judges what is there (and nothing there is no evidence, not a pass)."),
      })
      .prefault({}),
    budgets: z
      .strictObject({
        artifact: budget.describe("Across every stage of one artifact."),
        build: budget.describe("The build stage; `attempts` defaults to `maxBuildAttempts`."),
      })
      .prefault({}),
    package: z
      .strictObject({
        targets: z
          .record(z.string().regex(/^[a-z0-9][a-z0-9-]{0,30}$/, "a target name is lower-case letters, digits and dashes"), z.array(z.string().min(1).max(300)).min(1).max(50))
          .default({})
          .describe("Deploy targets and the path globs that ship with each, e.g. `web: [\"web/**\"]`."),
        changelog: z
          .union([z.enum(["none", "release"]), z.string().regex(/^[\w./-]+\.(md|markdown|rst|txt)$/, "must be `none`, `release`, or the path of a changelog file, like `CHANGELOG.md`").max(200)])
          .default("none")
          .describe("Where `/factory ship` puts the packager's release note after merging: a file's Unreleased section (a path, like `CHANGELOG.md`), the draft GitHub release (`release`), or nowhere (`none`)."),
      })
      .prefault({}),
    intake: z
      .strictObject({
        candidates: z
          .strictObject({
            labels: z.array(label).max(20).default(["factory:candidate"]).describe("Open issues with any of these labels are candidates for the demand queue."),
            milestone: z.string().min(1).max(200).optional().describe("Open issues in this milestone are candidates too."),
            authors: z
              .array(z.enum(["OWNER", "MEMBER", "COLLABORATOR", "CONTRIBUTOR", "FIRST_TIMER", "FIRST_TIME_CONTRIBUTOR", "NONE"]))
              .max(7)
              .default([])
              .describe("Open issues opened by people of these author associations are candidates too."),
          })
          .prefault({}),
        autoPromote: z
          .number()
          .int()
          .min(0)
          .max(50)
          .default(0)
          .describe("Keep up to this many artifacts in flight by promoting the top candidates of the demand queue to intake; 0: only `/factory next` promotes."),
      })
      .prefault({}),
    gates: z
      .strictObject({
        scope: z
          .boolean()
          .default(false)
          .describe("After the scout, wait for a writer to approve its plan (`/factory approve`, or `/factory revise <guidance>`) before the build starts; editing the criteria after approval asks again."),
      })
      .prefault({}),
    ship: z
      .strictObject({
        method: z
          .enum(["merge", "squash", "rebase"])
          .optional()
          .describe("How `/factory ship` merges. Unset: the first the repository allows of squash, merge and rebase."),
      })
      .prefault({}),
    analyst: z
      .strictObject({
        runNotes: z
          .enum(["commit", "pull-request", "off"])
          .default("commit")
          .describe("How the post-run note reaches `.factory/runs/` on the default branch: a direct commit (a small PR instead when the branch refuses it, as a protected one does), a small PR, or not at all."),
        lessons: z.boolean().default(true).describe("Propose lessons from review comments and verifier failures, as a PR to `.factory/lessons/`."),
      })
      .prefault({}),
    learn: z
      .strictObject({
        refitAfter: z
          .number()
          .int()
          .min(0)
          .max(1000)
          .default(10)
          .describe("After this many artifacts merged since the scout's weights were last fitted (`.factory/scout.json`), the analyst proposes a refit; 0: never."),
      })
      .prefault({}),
    ledger: z
      .strictObject({
        issue: z.boolean().default(true).describe("Keep a pinned ledger issue up to date."),
        title: z.string().min(1).max(200).default("Factory ledger"),
      })
      .prefault({}),
  })
  .prefault({});

export type FactoryConfig = z.infer<typeof configSchema>;

export const DEFAULT_CONFIG: FactoryConfig = configSchema.parse({});

/** The JSON Schema for editors, generated from the zod schema so it is never written twice. */
export function configJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(configSchema, { io: "input" }),
    $id: "https://github.com/software-factory/software-factory/schema/factory.schema.json",
    title: "Software Factory configuration (.github/factory.yml)",
  };
}
