import type { ProbotOctokit } from "probot";

/** What a job's git needs of the repository: read (clone, fetch) or write (push too). */
export type GitAccess = "read" | "write";

/**
 * A fresh installation token for one job's git, and nothing else: minted for the one
 * repository (`repositories`) with `contents` only, at the level the stage needs
 * (the build pushes, the verifier only clones). It reaches git's environment, never
 * the harness; were it to leak, it opens no issue, comment, check or other
 * repository of the installation, and it expires within the hour. Minted through
 * the installation's Octokit (its auth hook signs this route with the app's JWT), so
 * it goes to the GitHub host the app is configured for.
 */
export async function gitToken(octokit: ProbotOctokit, where: { installationId: number; repo: string }, access: GitAccess): Promise<string> {
  const { data } = await octokit.request("POST /app/installations/{installation_id}/access_tokens", {
    installation_id: where.installationId,
    repositories: [where.repo],
    permissions: { contents: access },
  });
  return data.token;
}
