import type { Probot } from "probot";

/**
 * The app's bot login (`<slug>[bot]`): the only author whose hidden blocks count.
 * One `GET /app` per process; a failure is not cached.
 */
export function botLoginResolver(app: Probot): () => Promise<string> {
  let pending: Promise<string> | undefined;
  return () => {
    pending ??= app
      .auth()
      .then((octokit) => octokit.rest.apps.getAuthenticated())
      .then(({ data }) => {
        if (!data?.slug) throw new Error("GET /app returned no slug");
        return `${data.slug}[bot]`;
      })
      .catch((error: unknown) => {
        pending = undefined;
        throw error;
      });
    return pending;
  };
}
