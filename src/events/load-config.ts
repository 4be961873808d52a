import type { Logger } from "probot";
import { CONFIG_PATH, parseConfig } from "../config/load.js";
import type { FactoryConfig } from "../config/schema.js";
import type { GitHubStore } from "../github/repo-port.js";
import { statusOf } from "../github/errors.js";
import { digest } from "../state/sign.js";
import { fitBody } from "../views/render.js";
import { configInvalidView } from "../views/comments.js";

/**
 * Reads and validates `.github/factory.yml`. A bad file is reported once on the
 * triggering issue (a signed `config.invalid` record with the problems' digest
 * stops the same report twice) and nothing else happens.
 */
export async function loadConfig(
  read: () => Promise<unknown>,
  store: GitHubStore,
  report: { issue: number; key: string } | undefined,
  log: Logger,
): Promise<FactoryConfig | undefined> {
  let raw: unknown;
  let problems: string[];
  try {
    raw = await read();
    const result = parseConfig(raw);
    if (result.ok) return result.config;
    problems = result.problems;
  } catch (error) {
    // Only the config plugin's own errors are the file's fault; a GitHub or network failure is tried again.
    if (statusOf(error) !== undefined || !(error instanceof Error) || !error.message.startsWith("[@probot/octokit-plugin-config]")) throw error;
    problems = [yamlProblem(error)];
  }
  log.warn({ repo: store.port.fullName, problems }, `${CONFIG_PATH} is invalid; the factory does nothing until it is fixed`);
  if (!report) return undefined;
  const loaded = await store.load(report.issue);
  const id = digest(problems.join("\n"));
  const already = loaded.records.some((r) => r.kind === "config.invalid" && r.data.digest === id);
  if (already) return undefined;
  const record = store.record(loaded, "config.invalid", { digest: id, problems }, report.key);
  await store.port.createComment(report.issue, fitBody(configInvalidView(CONFIG_PATH, problems), [store.block(record)]));
  return undefined;
}

/** The config plugin's error, said with the line and column the YAML parser found (its first line, made inert). */
function yamlProblem(error: Error): string {
  const cause = (error as { cause?: unknown }).cause;
  const what = error.message.split("\n")[0]?.replace(/^\[@probot\/octokit-plugin-config\] /, "") ?? "";
  if (!(cause instanceof Error)) return `the file could not be read: ${what}`;
  const at = (cause as { linePos?: Array<{ line: number; col: number }> }).linePos?.[0];
  const reason = (cause.message.split("\n")[0] ?? "").replace(/ at line \d+, column \d+:?$/, "").replace(/[<>`]/g, "'").slice(0, 300);
  return `the file is not valid YAML${at ? ` at line ${at.line}, column ${at.col}` : ""}: ${reason}`;
}
