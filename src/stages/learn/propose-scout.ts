import type { RepoPort } from "../../github/repo-port.js";
import { definedWeights, SCOUT_FILE, type ScoutFile } from "../scout/scout-file.js";
import { SIGNALS, WEIGHTS } from "../scout/localize.js";
import type { Calibration } from "./scout-calibration.js";

/** The PR body: what was fitted on what, the held-out figures before and after, and each weight's change. */
export function calibrationBody(calibration: Calibration, file: ScoutFile, current: ScoutFile | undefined): string {
  const was = { ...WEIGHTS, ...(current ? definedWeights(current.weights) : {}) };
  const f = (n: number) => n.toFixed(3);
  const rows = SIGNALS.map((s) => `| ${s} | ${was[s]} | ${file.weights[s]} |`);
  return [
    `The scout's weights, fitted on this repository's own past changes (the files each one really modified) up to \`${file.fitted?.commit.slice(0, 12) ?? "?"}\`.`,
    "",
    "| recall@10 | before | after | changes |",
    "|---|---|---|---|",
    `| fitted on (older) | ${f(calibration.fit.before)} | ${f(calibration.fit.after)} | ${calibration.fit.cases} |`,
    `| **held out (later)** | **${f(calibration.heldOut.before)}** | **${f(calibration.heldOut.after)}** | ${calibration.heldOut.cases} |`,
    "",
    `Kept because the held-out recall@10 rose by at least ${calibration.margin}. Each change is ranked twice, from its title and body and from its title alone.`,
    "",
    `| signal | ${current ? "now" : "default"} | fitted |`,
    "|---|---|---|",
    ...rows,
    "",
    `Merge to have the scout rank with these weights (\`${SCOUT_FILE}\`); close to keep the current ones.`,
  ].join("\n");
}

/**
 * Proposes `.factory/scout.json` by pull request on the default branch: a branch
 * per fit commit, so running it again finds the same PR instead of opening another.
 */
export async function proposeScoutFile(port: RepoPort, input: { defaultBranch: string; calibration: Calibration; file: ScoutFile; current?: ScoutFile }): Promise<number> {
  const branch = `factory/learn-scout-${(input.file.fitted?.commit ?? "manual").slice(0, 12)}`;
  const head = await port.branchHead(input.defaultBranch);
  const made = await port.createBranch(branch, head.sha);
  const content = `${JSON.stringify(input.file, null, 2)}\n`;
  if (made === "created" || (await port.readFile(SCOUT_FILE, branch)) !== content) {
    await port.writeFiles(branch, { [SCOUT_FILE]: content }, "chore(factory): calibrate the scout's weights to this repository");
  }
  return port.openPull({
    title: "chore(factory): calibrate the scout to this repository",
    head: branch,
    base: input.defaultBranch,
    body: calibrationBody(input.calibration, input.file, input.current),
  });
}
