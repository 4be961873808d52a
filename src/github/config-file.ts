import { Context, type Logger, type ProbotOctokit } from "probot";
import type { RepoRef } from "./repo-port.js";

/**
 * `.github/factory.yml` from the default branch, exactly as Probot's
 * `context.config` reads it (the owner's `.github` repository as fallback,
 * `_extends`, deep merge): `null` when there is none. An event handled from the
 * inbox has no Probot context, so one is made for the repository.
 */
export async function readConfigFile(octokit: ProbotOctokit, repo: RepoRef, eventId: string, log: Logger): Promise<unknown> {
  const event = { id: eventId, name: "repository", payload: { repository: { name: repo.repo, owner: { login: repo.owner } } } };
  const context = new Context(event as unknown as ConstructorParameters<typeof Context>[0], octokit, log);
  return context.config("factory.yml");
}
