import { globList } from "../../line/globs.js";

export interface ChangedFile {
  path: string;
  additions: number;
  deletions: number;
}

export interface TargetDelta {
  name: string;
  files: string[];
  lines: number;
}

/** The packager's output: `cells/packager/output.schema.json`. */
export interface PackageNote {
  /** "web only", "desktop + web", or "no deploy target" */
  decision: string;
  targets: TargetDelta[];
  /** Every configured target, touched or not, with its lines (0 when untouched). */
  linesPerTarget: Record<string, number>;
  /** Files no target claims. */
  other: TargetDelta;
  releaseNote: { section: string; line: string; breaking: boolean };
  totalLines: number;
}

/**
 * Which targets a change ships to: each file is matched against every target's globs
 * (a file may belong to several: a shared package ships with each app that has it),
 * in the order `.github/factory.yml` lists the targets.
 */
export function mapTargets(files: readonly ChangedFile[], targets: Readonly<Record<string, readonly string[]>>): { targets: TargetDelta[]; other: TargetDelta } {
  const matchers = Object.entries(targets).map(([name, globs]) => {
    const matchOf = globList(globs);
    return { name, match: (path: string) => matchOf(path) !== undefined };
  });
  const out = new Map(matchers.map((m) => [m.name, { name: m.name, files: [] as string[], lines: 0 }]));
  const other: TargetDelta = { name: "other", files: [], lines: 0 };
  for (const file of files) {
    const lines = file.additions + file.deletions;
    const hits = matchers.filter((m) => m.match(file.path));
    for (const hit of hits) {
      const t = out.get(hit.name) as TargetDelta;
      t.files.push(file.path);
      t.lines += lines;
    }
    if (hits.length === 0) {
      other.files.push(file.path);
      other.lines += lines;
    }
  }
  return { targets: [...out.values()], other };
}

/** The decision in words: "web only", "desktop + web", or that nothing deploys. */
export function decisionWords(touched: readonly string[]): string {
  if (touched.length === 0) return "no deploy target";
  if (touched.length === 1) return `${touched[0]} only`;
  return [...touched].sort().join(" + ");
}

const SECTIONS: Record<string, string> = {
  feat: "Features",
  feature: "Features",
  fix: "Fixes",
  bugfix: "Fixes",
  perf: "Performance",
  docs: "Documentation",
  security: "Security",
  revert: "Reverts",
};
const CONVENTIONAL_TYPES = new Set([...Object.keys(SECTIONS), "style", "refactor", "test", "tests", "build", "ci", "chore", "deps"]);
const LABEL_SECTIONS: Array<[RegExp, string]> = [
  [/^(bug|fix|bugfix|type: ?bug)$/i, "Fixes"],
  [/^(enhancement|feature|type: ?feature)$/i, "Features"],
  [/^(documentation|docs)$/i, "Documentation"],
  [/^(security)$/i, "Security"],
  [/^(performance|perf)$/i, "Performance"],
];

/**
 * The release-note line from the PR's title and labels, conventional-commit aware:
 * `feat(ui)!: dark mode` → Features, "**Breaking:** dark mode (ui)". Labels decide
 * when the title has no conventional type; `breaking` labels mark it breaking.
 */
export function releaseNote(title: string, labels: readonly string[], pr: number): PackageNote["releaseNote"] {
  const match = /^(\w+)(?:\(([^)]+)\))?(!)?:\s*(.+)$/.exec(title.trim());
  const conventional = match && CONVENTIONAL_TYPES.has((match[1] as string).toLowerCase()) ? match : undefined;
  const type = conventional?.[1]?.toLowerCase();
  const scope = conventional?.[2];
  const text = (conventional?.[4] ?? title).trim();
  const breaking = conventional?.[3] === "!" || labels.some((l) => /breaking/i.test(l));
  const fromLabels = LABEL_SECTIONS.find(([pattern]) => labels.some((l) => pattern.test(l)))?.[1];
  const section = (type && SECTIONS[type]) ?? fromLabels ?? "Changes";
  const line = `- ${breaking ? "**Breaking:** " : ""}${text.charAt(0).toUpperCase()}${text.slice(1)}${scope ? ` (${scope})` : ""} (#${pr})`;
  return { section, line, breaking };
}

export function decidePackage(files: readonly ChangedFile[], targets: Readonly<Record<string, readonly string[]>>, pr: { number: number; title: string; labels: readonly string[] }): PackageNote {
  const mapped = mapTargets(files, targets);
  const touched = mapped.targets.filter((t) => t.files.length > 0);
  return {
    decision: decisionWords(touched.map((t) => t.name)),
    targets: touched,
    linesPerTarget: Object.fromEntries(mapped.targets.map((t) => [t.name, t.lines])),
    other: mapped.other,
    releaseNote: releaseNote(pr.title, pr.labels, pr.number),
    totalLines: files.reduce((n, f) => n + f.additions + f.deletions, 0),
  };
}
