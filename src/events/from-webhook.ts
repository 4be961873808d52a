import { GITHUB_BODY_LIMIT } from "../line/body.js";
import { cleanText, clip } from "../line/text.js";
import { CELL_WORKFLOW, issueOfJob, jobFromRunTitle } from "../stages/build/actions-runner.js";
import { parseCommands } from "./commands/parse.js";
import { findCommand } from "./commands/registry.js";
import { lineEvent, type LineEvent } from "./line-event.js";

/** The artifact a factory branch names, whatever the configured prefix (`…/12-slug` → 12); the handler checks the prefix once the config is read. */
export function artifactIssue(ref: string): number | undefined {
  // `<prefix><issue>-<slug>`, or `<prefix><issue>` (a title with no slug, before slugs never came out empty).
  const prefix = /^(.*\/)\d+(?:-[^/]*)?$/.exec(ref)?.[1];
  return prefix ? issueFromBranch(prefix, ref) : undefined;
}

/** `factory/12-…` → 12: a factory PR's branch names its issue. */
export function issueFromBranch(prefix: string, ref: string): number | undefined {
  if (!ref.startsWith(prefix)) return undefined;
  const match = /^(\d+)(?:-|$)/.exec(ref.slice(prefix.length));
  return match ? Number(match[1]) : undefined;
}

export interface Delivery {
  /** `X-GitHub-Delivery`: the event's idempotency key. */
  id: string;
  /** `issues.labeled`, `status`, …: the event name with its action. */
  name: string;
  payload: unknown;
}

/** An event; or ignored, saying why (nothing for the line); or malformed, saying what the payload lacks that its event must have. */
/** `warn`: ignored, and worth a warning line (something posed as the factory's). */
export type Translation = { event: LineEvent } | { ignored: string; warn?: true } | { malformed: string };

type Obj = Record<string, unknown>;
const obj = (value: unknown): Obj | undefined => (typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Obj) : undefined);
const str = (value: unknown): string | undefined => (typeof value === "string" ? value : undefined);
const num = (value: unknown): number | undefined => (typeof value === "number" && Number.isInteger(value) ? value : undefined);
const loginOf = (user: unknown): string | undefined => str(obj(user)?.login);
const isBot = (user: unknown): boolean => obj(user)?.type === "Bot";
/** A person's text as the line keeps it (see {@link cleanText}), at most GitHub's 65,536 characters. */
const textOrNull = (value: unknown): string | null => (typeof value === "string" ? clip(cleanText(value), GITHUB_BODY_LIMIT) : null);
/** Says which of the fields (by their path in the payload) are not there (or empty); a missing object is named without its own fields. */
function lacking(fields: Record<string, unknown>): { malformed: string } {
  const absent = Object.keys(fields).filter((path) => fields[path] === undefined || fields[path] === "");
  const named = absent.filter((path) => !absent.some((parent) => path.startsWith(`${parent}.`)));
  return { malformed: `the payload has no ${named.join(", ") || "usable " + Object.keys(fields).join(", ")}` };
}
const labelNames = (labels: unknown): string[] =>
  (Array.isArray(labels) ? labels : []).map((l) => (typeof l === "string" ? l : (str(obj(l)?.name) ?? ""))).filter(Boolean).slice(0, 100);

/**
 * Turns a webhook delivery into the line's event, or says why it is ignored. Pure
 * and cheap: it runs before the webhook is answered, so it makes no request and
 * drops what no handler would act on (the app's own comments, comments without a
 * command, other branches' checks). A payload without the fields its event must
 * have is malformed, saying what it lacks, never thrown at the webhook.
 */
export function fromWebhook(delivery: Delivery): Translation {
  try {
    return translate(delivery);
  } catch (error) {
    // A payload whose facts do not fit an event's schema (a field of the wrong type, one too long) is not ours to handle.
    return { malformed: `the payload does not fit a ${delivery.name} event: ${(error as Error).message.split("\n")[0]?.slice(0, 300)}` };
  }
}

function translate(delivery: Delivery): Translation {
  const p = obj(delivery.payload);
  const repository = obj(p?.repository);
  const owner = loginOf(repository?.owner);
  const repo = str(repository?.name);
  const installationId = num(obj(p?.installation)?.id);
  if (!p) return { malformed: "the payload is not an object" };
  if (!owner || !repo || installationId === undefined) return lacking({ repository, "repository.owner.login": owner, "repository.name": repo, installation: obj(p.installation), "installation.id": installationId });
  const base = { id: delivery.id, installationId, owner, repo };
  const defaultBranch = str(repository?.default_branch) ?? "main";

  switch (delivery.name) {
    case "issues.labeled":
    case "issues.edited": {
      const issue = obj(p.issue);
      const number = num(issue?.number);
      const author = loginOf(issue?.user) ?? loginOf(p.sender);
      const sender = loginOf(p.sender);
      if (!issue || number === undefined || !author || !sender) return lacking({ issue, "issue.number": number, "issue.user.login": author, "sender.login": sender });
      if (isBot(p.sender) || issue.pull_request || issue.state !== "open") return { ignored: "a bot, a pull request or a closed issue" };
      const labels = labelNames(issue.labels);
      const action = delivery.name === "issues.labeled" ? "labeled" : "edited";
      const label = action === "labeled" ? str(obj(p.label)?.name) : undefined;
      if ((action === "labeled" && label === undefined) || labels.length === 0) return { ignored: "no label" };
      return {
        event: lineEvent("intake", {
          ...base,
          target: { issue: number },
          what: action === "labeled" ? `the label ${label ?? ""} on #${number}`.slice(0, 200) : `an edit of #${number}`,
          data: { action, ...(label !== undefined ? { label: label.slice(0, 100) } : {}), issue: { number, title: cleanText(str(issue.title) ?? ""), body: textOrNull(issue.body), author, labels, state: "open" }, sender, defaultBranch },
        }),
      };
    }
    case "issue_comment.created": {
      const issue = obj(p.issue);
      const comment = obj(p.comment);
      const thread = num(issue?.number);
      const id = num(comment?.id);
      const sender = loginOf(p.sender);
      if (!issue || thread === undefined || !comment || id === undefined || !sender) return lacking({ issue, "issue.number": thread, comment, "comment.id": id, "sender.login": sender });
      if (isBot(p.sender) || isBot(comment.user)) return { ignored: "a bot's comment" };
      let commands;
      try {
        commands = parseCommands(str(comment.body));
      } catch (error) {
        return { malformed: `comment ${id} on #${thread} by @${sender} could not be read for commands (${(error as Error).name}: its Markdown nests too deeply); a command in it is not run` };
      }
      if (commands.length === 0) return { ignored: "no command" };
      const onPull = issue.pull_request !== undefined && issue.pull_request !== null;
      return {
        event: lineEvent("command", {
          ...base,
          target: onPull ? { pull: thread } : { issue: thread },
          what: `\`${commands.map((c) => `/factory ${c.name}`).join("`, `")}\` from @${sender} on #${thread}`.slice(0, 200),
          data: { comment: id, thread, onPull, labels: labelNames(issue.labels), sender, commands: commands.map(({ continuation, ...c }) => ({ ...c, args: c.args.slice(0, 10), line: c.line.slice(0, 1000), ...(continuation && findCommand(c.name)?.takesText ? { continuation: continuation.slice(0, 1000) } : {}) })), defaultBranch },
        }),
      };
    }
    case "check_run.completed":
    case "check_suite.completed":
    case "status":
    case "workflow_run.completed": {
      const run = obj(p.workflow_run);
      if (run && str(run.path)?.endsWith(`/${CELL_WORKFLOW}`)) {
        const foreign = notDispatched(run, obj(p.repository));
        return foreign ? { ignored: foreign, warn: true } : cellRun(base, run);
      }
      const checkRun = obj(p.check_run);
      const suite = obj(p.check_suite) ?? obj(checkRun?.check_suite);
      const branches = Array.isArray(p.branches) ? p.branches : [];
      const branch = str(suite?.head_branch) ?? str(run?.head_branch) ?? str(obj(branches[0])?.name);
      const issue = branch && artifactIssue(branch);
      if (!branch || !issue) return { ignored: "not on a factory branch" };
      const appSlug = str(obj(checkRun?.app)?.slug) ?? str(obj(suite?.app)?.slug);
      const checkName = str(checkRun?.name) ?? str(p.context) ?? str(run?.name);
      return {
        event: lineEvent("checks", {
          ...base,
          target: { issue },
          what: `${delivery.name}${checkName ? ` (${checkName})` : ""} on ${branch}`.slice(0, 200),
          data: { branch, ...(checkName ? { checkName: checkName.slice(0, 200) } : {}), ...(appSlug ? { appSlug } : {}) },
        }),
      };
    }
    case "pull_request.synchronize":
    case "pull_request.closed":
    case "pull_request_review.submitted": {
      const pull = obj(p.pull_request);
      const pr = num(pull?.number);
      const head = obj(pull?.head);
      const headRef = str(head?.ref);
      if (!pull || pr === undefined || !headRef) return lacking({ pull_request: pull, "pull_request.number": pr, "pull_request.head": head, "pull_request.head.ref": headRef });
      const issue = artifactIssue(headRef);
      if (!issue) return { ignored: "not a factory branch" };
      const target = { issue };
      if (delivery.name === "pull_request.synchronize") {
        const headSha = str(head?.sha);
        if (!headSha) return { malformed: "the payload has no pull_request.head.sha" };
        return { event: lineEvent("pull.synchronize", { ...base, target, what: `a push to PR #${pr}`, data: { pr, headRef, headSha } }) };
      }
      if (delivery.name === "pull_request.closed") {
        const merged = pull.merged === true;
        const endedAt = str(pull.merged_at) ?? str(pull.closed_at) ?? new Date().toISOString();
        return { event: lineEvent("pull.closed", { ...base, target, what: `PR #${pr} ${merged ? "merged" : "closed"}`, data: { pr, headRef, merged, endedAt, defaultBranch } }) };
      }
      const review = obj(p.review);
      const reviewId = num(review?.id);
      const by = loginOf(review?.user);
      if (!review || reviewId === undefined || !by) return lacking({ review, "review.id": reviewId, "review.user.login": by });
      if (str(review.state)?.toLowerCase() !== "changes_requested" || isBot(review.user)) return { ignored: "not a person's request for changes" };
      return {
        event: lineEvent("review", {
          ...base,
          target,
          what: `@${by}'s review of PR #${pr}`,
          data: { pr, headRef, review: { id: reviewId, body: textOrNull(review.body), htmlUrl: str(review.html_url) ?? "", by } },
        }),
      };
    }
    default:
      return { ignored: `the app does not handle ${delivery.name}` };
  }
}

/**
 * Why a run of a file named like the cell workflow is not one the factory dispatched,
 * or undefined when it may be. Its report becomes commits the app pushes, so only a
 * run of the repository's own `.github/workflows/${CELL_WORKFLOW}`, started by a
 * dispatch (which takes write access: the app's, or a maintainer's), counts. A pull
 * request from a fork can add a file of that name with the right `run-name` (a job
 * id is public, in the "Build started" comment); its run is none of these.
 */
function notDispatched(run: Obj, repository: Obj | undefined): string | undefined {
  const path = str(run.path)?.replace(/@.*$/, "");
  const event = str(run.event);
  const from = num(obj(run.head_repository)?.id);
  const what = `a ${CELL_WORKFLOW} run (${str(run.html_url) ?? `id ${String(num(run.id) ?? "unknown")}`})`;
  if (path !== `.github/workflows/${CELL_WORKFLOW}`) return `${what} of \`${path ?? "no path"}\`, not the repository's \`.github/workflows/${CELL_WORKFLOW}\`: not the factory's cell`;
  if (event !== "workflow_dispatch") return `${what} started by \`${event ?? "no event"}\`, not by a dispatch: the factory takes no report from it`;
  if (from === undefined || from !== num(repository?.id)) return `${what} from another repository (a fork): the factory takes no report from it`;
  return undefined;
}

function cellRun(base: { id: string; installationId: number; owner: string; repo: string }, run: Obj): Translation {
  const title = str(run.display_title) ?? "";
  const named = jobFromRunTitle(title);
  const issue = named && issueOfJob(named.job);
  const id = num(run.id);
  if (!named || !issue || id === undefined) return { ignored: `a ${CELL_WORKFLOW} run whose title names no factory job; is the workflow's run-name changed?` };
  return {
    event: lineEvent("cell.run", {
      ...base,
      target: { issue },
      what: `the ${CELL_WORKFLOW} run for job ${named.job}`,
      data: { run: id, conclusion: str(run.conclusion) ?? null, title, htmlUrl: str(run.html_url) ?? "", ...(str(run.head_branch) ? { branch: str(run.head_branch) as string } : {}) },
    }),
  };
}
