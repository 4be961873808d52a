/** Files a change almost never edits by hand: dependencies, builds, lock files, media. */
const SKIP_PATH = /(^|\/)(node_modules|vendor|third_party|dist|build|coverage|\.git)\//;
const SKIP_NAME = /(^|\/)(package-lock\.json|npm-shrinkwrap\.json|yarn\.lock|pnpm-lock\.yaml|bun\.lockb?|Cargo\.lock|go\.sum|poetry\.lock|uv\.lock|Pipfile\.lock|Gemfile\.lock|composer\.lock|mix\.lock|flake\.lock|packages\.lock\.json)$/i;

/**
 * A changelog (CHANGELOG.md, CHANGES.rst, HISTORY.md, NEWS…) or a changeset entry:
 * where a repository keeps one, nearly every change touches it, so it says nothing
 * about where a change goes. The memo names it as a constraint instead of a likely file.
 */
export function isChangelog(path: string): boolean {
  return /(^|\/)(CHANGE(S|LOG)|HISTORY|NEWS|RELEASE[-_]?NOTES)(\.(md|rst|txt|markdown|adoc))?$|(^|\/)\.changeset\//i.test(path);
}
const SKIP_EXT = /\.(png|jpe?g|gif|ico|svg|webp|woff2?|ttf|eot|pdf|zip|gz|tgz|jar|mp4|mp3|wasm|snap|min\.js|map)$/i;

/** A text file a person writes: not a dependency, a build output, a lock file or media. */
export function isWrittenText(path: string, size: number): boolean {
  return size > 0 && size < 512 * 1024 && !SKIP_PATH.test(path) && !SKIP_NAME.test(path) && !SKIP_EXT.test(path);
}

/** A file the scout ranks: written text, and not a changelog. */
export function isCandidate(path: string, size: number): boolean {
  return isWrittenText(path, size) && !isChangelog(path);
}
