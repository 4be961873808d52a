import picomatch from "picomatch";

/**
 * Path globs as people write them in `.github/factory.yml` (package targets) and in
 * lessons, matched by picomatch: `**` spans directories, `*` and `?` stay within one,
 * `{a,b}` and `[ab]` as in a shell, dotfiles included. As in `.gitignore`, a glob
 * without `/` matches at any depth, a leading `/` only anchors, and a trailing `/`
 * (or a path with no wildcard at all) names a directory and everything under it.
 */
export function globMatcher(glob: string): (path: string) => boolean {
  let pattern = glob.trim().replace(/^(?:\.\/)+/, "");
  const directory = pattern.endsWith("/");
  pattern = pattern.replace(/\/+$/, "");
  const anchored = pattern.includes("/");
  // Parentheses are part of file names here, not regex groups.
  pattern = pattern.replace(/^\/+/, "").replace(/[()]/g, "\\$&");
  const literal = !picomatch.scan(pattern).isGlob;
  const patterns = directory || literal ? [pattern, `${pattern}/**`] : [pattern];
  return picomatch(anchored ? patterns : patterns.map((p) => `**/${p}`), { dot: true, noextglob: true });
}

/**
 * A list of globs, some negated (`!web/legacy/**`): the first glob that matches a
 * path, unless a negated one excludes it; undefined when none does.
 */
export function globList(globs: readonly string[]): (path: string) => string | undefined {
  const include = globs.filter((g) => !g.trim().startsWith("!")).map((glob) => ({ glob, match: globMatcher(glob) }));
  const exclude = globs.filter((g) => g.trim().startsWith("!")).map((glob) => globMatcher(glob.trim().slice(1)));
  return (path) => {
    const file = normalisePath(path);
    if (!file || exclude.some((match) => match(file))) return undefined;
    return include.find(({ match }) => match(file))?.glob;
  };
}

/** `./src\\a.ts` and `/src/a.ts` are `src/a.ts`. */
export function normalisePath(path: string): string {
  return path.trim().replace(/\\/g, "/").replace(/^(?:\.\/)+/, "").replace(/^\/+/, "");
}
