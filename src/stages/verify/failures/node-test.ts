import { firstText, indentOf } from "./excerpt.js";
import { framePlace, jsExcerpt, userFrame, type Place } from "./js-frames.js";
import type { Found, Parser } from "./types.js";

/**
 * node's built-in test runner (`node --test`), with either of its reporters: TAP
 * (`# Subtest:` / `not ok` lines with a YAML block) or spec (a tree of ▶/✖ lines,
 * then a `✖ failing tests:` section that repeats each failure under `test at file:line:col`).
 */
export const nodeTest: Parser = {
  tool: "node-test",
  detects: (text) => /^TAP version \d+$/m.test(text) || /^(?:ℹ (?:tests|fail) \d+|✖ failing tests:)$/m.test(text),
  root(lines) {
    // Spec names the test's file relative to the project and its stack frames absolutely.
    for (let i = 0; i < lines.length; i++) {
      const at = /^test at (.+?):\d+:\d+$/.exec(lines[i] as string);
      if (!at) continue;
      const relative = at[1] as string;
      for (let j = i + 1; j < lines.length && j < i + 40; j++) {
        const file = framePlace(lines[j] as string)?.file;
        if (file?.endsWith(`/${relative}`) && file.startsWith("/")) return file.slice(0, -relative.length - 1);
      }
    }
    return undefined;
  },
  parse(lines) {
    return lines.some((l) => /^TAP version \d+$/.test(l)) ? parseTap(lines) : parseSpec(lines);
  },
};

/** A diagnostic block longer than this is cut (it would be an unclosed one). */
const MAX_YAML_LINES = 500;

/** A YAML block's top-level key: its one-line value, or the lines of a `|-` block. */
function yamlValue(block: readonly string[], key: string): { value: string; lines: string[] } | undefined {
  const base = block.length ? indentOf(block[0] as string) : 0;
  const prefix = `${key}: `;
  const index = block.findIndex((l) => indentOf(l) === base && (l.trimStart().startsWith(prefix) || l.trim() === `${key}:`));
  if (index < 0) return undefined;
  const raw = (block[index] as string).trim().slice(prefix.length);
  if (raw === "" || /^[|>][-+]?$/.test(raw)) {
    const out: string[] = [];
    for (const l of block.slice(index + 1)) {
      if (l.trim() && indentOf(l) <= base) break;
      out.push(l.slice(base + 2));
    }
    return { value: firstText(out), lines: out };
  }
  let value = raw;
  if (/^'.*'$/.test(raw)) value = raw.slice(1, -1).replace(/''/g, "'");
  else if (/^".*"$/.test(raw)) value = raw.slice(1, -1).replace(/\\(["\\])/g, "$1");
  return { value, lines: [value] };
}

function parseTap(lines: readonly string[]): Found[] {
  const failures: Found[] = [];
  const names: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    const depth = Math.floor(indentOf(line) / 4);
    const subtest = /^\s*# Subtest: (.*)$/.exec(line);
    if (subtest) {
      names.length = depth;
      names[depth] = subtest[1] as string;
      continue;
    }
    const result = /^\s*not ok \d+ - (.*?)(?: # (?:SKIP|TODO).*)?$/.exec(line);
    if (!result) continue;
    const yaml: string[] = [];
    if (lines[i + 1]?.trim() === "---") {
      const indent = indentOf(lines[i + 1] as string);
      const end = Math.min(lines.length, i + 2 + MAX_YAML_LINES);
      for (let j = i + 2; j < end && !(lines[j]?.trim() === "..." && indentOf(lines[j] as string) === indent); j++) yaml.push(lines[j] as string);
    }
    // A suite fails because its tests did; those are reported on their own.
    if (yamlValue(yaml, "failureType")?.value === "subtestsFailed") continue;
    const error = yamlValue(yaml, "error");
    const kind = yamlValue(yaml, "name")?.value;
    const stack = (yamlValue(yaml, "stack")?.lines ?? []).map((l) => `at ${l.trim()}`);
    const frame = userFrame(stack);
    const where: Place | undefined = frame ?? location(yamlValue(yaml, "location")?.value);
    const text = error?.value ?? "failed";
    const message = kind && !text.startsWith(kind) ? `${kind}: ${text}` : text;
    // The error's first line, with its kind in front, as the other reporters show it.
    const errorLines = error?.lines ?? [];
    const first = errorLines.findIndex((l) => l.trim());
    if (first >= 0) errorLines[first] = message;
    failures.push({
      tool: "node-test",
      at: i,
      test: [...names.slice(0, depth), result[1] as string].join(" > "),
      message,
      file: where?.file,
      line: where?.line,
      column: where?.column,
      lines: [...errorLines, ...(frame ? [stack[frame.index] as string] : [])],
    });
  }
  return failures;
}

function location(value: string | undefined): Place | undefined {
  const m = value ? /^(?:file:\/\/)?(.+):(\d+):(\d+)$/.exec(value) : null;
  return m ? { file: m[1] as string, line: Number(m[2]), column: Number(m[3]) } : undefined;
}

const TREE_LINE = /^(\s*)([▶✖✔﹣↓]) (.+?)(?: \(([\d.]+m?s)\))?$/;

function parseSpec(lines: readonly string[]): Found[] {
  const summary = lines.findIndex((l) => l === "✖ failing tests:");
  const tree = summary >= 0 ? lines.slice(0, summary) : lines;
  // Full names come from the tree: `name (duration)` is how a summary entry finds its place there.
  const fullNames = new Map<string, string>();
  const suites: string[] = [];
  const treeFailures: Found[] = [];
  for (let i = 0; i < tree.length; i++) {
    const m = TREE_LINE.exec(tree[i] as string);
    if (!m) continue;
    const depth = Math.floor((m[1] as string).length / 2);
    const name = m[3] as string;
    if (m[2] === "▶") {
      suites.length = depth;
      suites[depth] = name;
      continue;
    }
    const full = [...suites.slice(0, depth), name].join(" > ");
    if (m[4]) fullNames.set(`${name} (${m[4]})`, full);
    const next = tree[i + 1];
    if (m[2] === "✖" && summary < 0 && next?.trim() && indentOf(next) > (m[1] as string).length) {
      const body: string[] = [];
      for (let j = i + 1; j < tree.length && (!tree[j]?.trim() || indentOf(tree[j] as string) > (m[1] as string).length); j++) body.push(tree[j] as string);
      treeFailures.push(specFailure(i, full, body, undefined));
    }
  }
  if (summary < 0) return treeFailures;

  const failures: Found[] = [];
  for (let i = summary + 1; i < lines.length; i++) {
    const at = /^test at (.+):(\d+):(\d+)$/.exec(lines[i] as string);
    const title = at ? TREE_LINE.exec(lines[i + 1] ?? "") : null;
    if (!at || !title) continue;
    const body: string[] = [];
    let j = i + 2;
    for (; j < lines.length && !/^test at /.test(lines[j] as string); j++) body.push(lines[j] as string);
    const name = title[3] as string;
    const full = fullNames.get(`${name} (${title[4] ?? ""})`) ?? name;
    failures.push(specFailure(i, full, body, { file: at[1] as string, line: Number(at[2]), column: Number(at[3]) }));
    i = j - 1;
  }
  return failures;
}

function specFailure(at: number, test: string, body: readonly string[], declared: Place | undefined): Found {
  const where = userFrame(body) ?? declared;
  return { tool: "node-test", at, test, message: firstText(body), file: where?.file, line: where?.line, column: where?.column, lines: jsExcerpt(body) };
}
