import type { GitHubDouble } from "@software-factory/github-double";
import { readRecords } from "../state/carriers.js";
import { fold, type Artifact } from "../state/fold.js";
import { stateKey } from "../state/sign.js";

/** The artifact as anyone can rebuild it from GitHub: the app's signed records on the issue and its PRs. */
export function foldFromDouble(double: GitHubDouble, issue: number, key: Buffer = stateKey()): Artifact {
  const threads = [issue, ...double.pulls().map((p) => p.number)];
  const carriers = threads.flatMap((n) =>
    double.commentsOn(n).map((c) => ({ where: `#${n}/${c.id}`, order: c.id, authorLogin: c.user.login, authorType: c.user.type, body: c.body })),
  );
  const id = `${double.owner}/${double.repo}#${issue}`;
  return fold(id, readRecords(carriers, { botLogin: double.bot.login, key, artifact: id }).records);
}
