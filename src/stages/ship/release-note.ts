import type { FactoryConfig } from "../../config/schema.js";
import { describeError, isRefusal, isTransient } from "../../github/errors.js";
import type { RepoPort } from "../../github/repo-port.js";
import type { LoadedArtifact } from "../../state/artifact-store.js";
import { latestOutput } from "../build/prompt.js";

/**
 * Where a merged change's release note goes: a line under its section in a
 * changelog's Unreleased part, or in a draft release's notes. The text edits are
 * pure, and a line already there is not added twice, so placing a note again (an
 * event tried again after its process died) changes nothing.
 */

const UNRELEASED = /^##\s+\[?unreleased\]?\s*$/im;

/** Adds `- line` under `### section` in the text's part from `start` to the next `##` heading (or the end). */
function addUnder(text: string, start: number, section: string, line: string): string {
  const rest = text.slice(start);
  const nextPart = rest.search(/^##\s(?!#)/m);
  const end = nextPart === -1 ? text.length : start + nextPart;
  const part = text.slice(start, end);
  const entry = `- ${line}`;
  if (hasLine(part, line)) return text;
  const heading = new RegExp(`^###\\s+${section.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\s*$`, "im").exec(part);
  if (heading) {
    // After the section's last list line (or its heading), before the next heading.
    const after = start + heading.index + heading[0].length;
    const following = text.slice(after, end);
    const nextHeading = following.search(/^#{2,3}\s/m);
    const sectionEnd = nextHeading === -1 ? end : after + nextHeading;
    const body = text.slice(after, sectionEnd).replace(/\s+$/, "");
    return `${text.slice(0, after)}${body}\n${entry}\n\n${text.slice(sectionEnd).replace(/^\n+/, "")}`.replace(/\n+$/, "\n");
  }
  const insertion = `### ${section}\n\n${entry}\n\n`;
  const lead = text.slice(start, end).match(/^\s*/)?.[0].length ?? 0;
  const at = start + lead;
  return `${text.slice(0, at)}${insertion}${text.slice(at)}`.replace(/\n+$/, "\n");
}

/** Whether release notes already hold `- line`. */
function hasLine(text: string, line: string): boolean {
  return text.split("\n").some((l) => l.trim() === `- ${line}`);
}

/** A changelog file with the line under `### section` in its `## Unreleased` part, made when missing (after the title). */
export function addToChangelog(text: string, section: string, line: string): string {
  // Anywhere in the file: a line already released (its Unreleased part renamed to a version since) is not added again.
  if (hasLine(text, line)) return text;
  const found = UNRELEASED.exec(text);
  if (found) return addUnder(text, found.index + found[0].length + 1, section, line);
  const title = /^#\s.*$/m.exec(text);
  const at = title ? title.index + title[0].length + 1 : 0;
  const head = text.slice(0, at);
  const tail = text.slice(at).replace(/^\n+/, "");
  const withPart = `${head}${head ? "\n" : ""}## Unreleased\n\n${tail}`;
  return addUnder(withPart, withPart.indexOf("## Unreleased") + "## Unreleased\n".length, section, line);
}

/** A draft release's notes with the line under `### section`. */
export function addToReleaseNotes(body: string, section: string, line: string): string {
  return addUnder(body.endsWith("\n") || !body ? body : `${body}\n`, 0, section, line);
}

/** The packager's release-note line for the artifact's PR, if it wrote one. */
function releaseNoteOf(loaded: LoadedArtifact): { section: string; line: string } | undefined {
  const note = (latestOutput(loaded.records, "package") as { releaseNote?: { section?: unknown; line?: unknown } } | undefined)?.releaseNote;
  return typeof note?.section === "string" && typeof note.line === "string" ? { section: note.section, line: note.line } : undefined;
}

export function hasReleaseNote(loaded: LoadedArtifact): boolean {
  return releaseNoteOf(loaded) !== undefined;
}

/**
 * The packager's release note, where `package.changelog` says, for a merged PR;
 * what was done, in words. A refusal is said, not thrown: the PR is merged, and
 * nothing a retry does would change GitHub's answer. The caller holds the
 * repository's release-note lock (the draft release is read, edited and written
 * back, and two merges at once would each drop the other's line); `check` says
 * it still does, before each write. On the `lastTry`, GitHub not answering is said
 * too, rather than thrown.
 */
export async function placeReleaseNote(port: RepoPort, config: FactoryConfig, loaded: LoadedArtifact, check: () => Promise<void>, lastTry = false): Promise<string | undefined> {
  const target = config.package.changelog;
  if (target === "none") return undefined;
  const note = releaseNoteOf(loaded);
  if (!note) return "none (the packager wrote none for this PR)";
  const { section, line } = note;
  try {
    if (target === "release") {
      const releases = await port.recentReleases();
      // Already in a release: an earlier try placed it, and the draft was published since.
      const published = releases.find((r) => !r.draft && hasLine(r.body, line));
      if (published) return `already in the release${published.name ? ` "${published.name}"` : ""}`;
      const draft = releases.find((r) => r.draft);
      await check();
      if (draft) {
        const body = addToReleaseNotes(draft.body, section, line);
        if (body !== draft.body) await port.updateReleaseBody(draft.id, body);
        return `added to the draft release${draft.name ? ` "${draft.name}"` : ""}`;
      }
      await port.createDraftRelease({ tag: "unreleased", name: "Unreleased", body: addToReleaseNotes("", section, line) });
      return "added to a new draft release, \"Unreleased\"";
    }
    const branch = loaded.artifact.baseBranch as string;
    await port.updateFiles(
      branch,
      async (read) => {
        const current = (await read(target)) ?? "";
        const next = addToChangelog(current, section, line);
        return next === current ? undefined : { [target]: next };
      },
      `docs(changelog): ${line.slice(0, 60)}`,
      { beforeWrite: check },
    );
    return `added to \`${target}\` under Unreleased → ${section} on \`${branch}\``;
  } catch (error) {
    // GitHub's refusals are answers. GitHub failing for now (not answering, a branch that kept moving) tries the
    // event again, until its last try here (the post-run note must still go up, and says so); anything else
    // (the lock lost) tries it again.
    const transient = isTransient(error);
    if (transient ? !lastTry : !isRefusal(error)) throw error;
    if (transient) return `not placed: GitHub kept failing (${describeError(error)}); add the line by hand (\`package.changelog: ${target}\`)`;
    return `not placed: ${(error as Error).message.split("\n")[0]?.slice(0, 200)} (\`package.changelog: ${target}\`; a protected branch refuses the commit; add the line by hand)`;
  }
}
