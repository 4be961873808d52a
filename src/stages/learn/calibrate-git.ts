import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { LocalGitReader, pastChanges } from "../../cells/repo/local-git-reader.js";
import { snapshotRepo } from "../scout/localize.js";
import { calibrate, mineCases, prepareCase, type Calibration } from "./scout-calibration.js";

const run = promisify(execFile);

/** How many past commits calibration reads, and how many changes it fits and judges on at most. */
export const CALIBRATION_READ = { commits: 2000, cases: 120 };

/**
 * Calibrates the scout on a local clone: the changes reachable from `commit` (itself
 * included), each ranked at its own parent, as the scout would have seen the repository then.
 */
export async function calibrateFromGit(gitDir: string, commit: string, options: { margin?: number; cases?: number } = {}): Promise<Calibration & { commit: string; ms: number; mined: number }> {
  const started = performance.now();
  const sha = (await run("git", ["--git-dir", gitDir, "rev-parse", "--verify", "--end-of-options", `${commit}^{commit}`], { encoding: "utf8" })).stdout.trim();
  const mined = mineCases(await pastChanges(gitDir, sha, CALIBRATION_READ.commits)).slice(0, options.cases ?? CALIBRATION_READ.cases);
  const prepared = [];
  for (const c of mined) prepared.push(prepareCase(c, await snapshotRepo(new LocalGitReader(gitDir, c.base))));
  const result = calibrate(prepared, options.margin === undefined ? {} : { margin: options.margin });
  return { ...result, commit: sha, ms: performance.now() - started, mined: mined.length };
}

/** The git directory of a clone (its `.git`) or a bare repository, as given. */
export async function gitDirOf(dir: string): Promise<string> {
  return (await run("git", ["-C", dir, "rev-parse", "--absolute-git-dir"], { encoding: "utf8" })).stdout.trim();
}
