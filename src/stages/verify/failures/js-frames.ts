/** Where in the project a JavaScript failure happened. */
export interface Place {
  file: string;
  line: number;
  column?: number | undefined;
}

/** A stack frame line: node's `at fn (file:l:c)` / `at file:l:c`, or vitest's `❯ fn file:l:c`. */
export function isFrame(line: string): boolean {
  const t = line.trimStart();
  return t.startsWith("at ") || t.startsWith("❯ ");
}

/** The place a frame line points at, or undefined for `<anonymous>` and other placeless frames. */
export function framePlace(line: string): Place | undefined {
  const t = line.trim();
  if (!isFrame(t)) return undefined;
  let target = t.slice(t.indexOf(" ") + 1);
  if (target.endsWith(")")) target = target.slice(target.lastIndexOf("(") + 1, -1);
  else target = target.slice(target.lastIndexOf(" ") + 1);
  const m = /^(.+?):(\d+)(?::(\d+))?$/.exec(target.replace(/^file:\/\//, ""));
  if (!m) return undefined;
  return { file: m[1] as string, line: Number(m[2]), column: m[3] === undefined ? undefined : Number(m[3]) };
}

/** Node's internals, dependencies and evaluated code are not where a project's bug is. */
export function isLibrary(file: string): boolean {
  return file.startsWith("node:") || file.startsWith("internal/") || file.includes("node_modules/") || file === "<anonymous>" || file === "native";
}

/** The innermost frame in the project's own code, with the line it came from. */
export function userFrame(lines: readonly string[]): (Place & { index: number }) | undefined {
  for (let index = 0; index < lines.length; index++) {
    const place = framePlace(lines[index] as string);
    if (place && !isLibrary(place.file)) return { ...place, index };
  }
  return undefined;
}

/**
 * A JavaScript failure's excerpt: the message, diff and code frame the runner
 * printed, then the first frame in the project. The rest of the stack, and what
 * follows it (node prints the error's properties there), is noise.
 */
export function jsExcerpt(body: readonly string[]): string[] {
  let last = -1;
  for (let i = 0; i < body.length; i++) if (isFrame(body[i] as string)) last = i;
  if (last < 0) return [...body];
  const kept = body.slice(0, last).filter((l) => !isFrame(l));
  const frame = userFrame(body.slice(0, last + 1));
  return frame ? [...kept, body[frame.index] as string] : kept;
}
