/**
 * Where a shipped change's release note goes: a line under its section in a
 * changelog's Unreleased part, or in a draft release's notes. Pure text edits; a
 * line already there is not added twice.
 */

const UNRELEASED = /^##\s+\[?unreleased\]?\s*$/im;

/** Adds `- line` under `### section` in the text's part from `start` to the next `##` heading (or the end). */
function addUnder(text: string, start: number, section: string, line: string): string {
  const rest = text.slice(start);
  const nextPart = rest.search(/^##\s(?!#)/m);
  const end = nextPart === -1 ? text.length : start + nextPart;
  const part = text.slice(start, end);
  const entry = `- ${line}`;
  if (part.split("\n").some((l) => l.trim() === entry)) return text;
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

/** A changelog file with the line under `### section` in its `## Unreleased` part, made when missing (after the title). */
export function addToChangelog(text: string, section: string, line: string): string {
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
