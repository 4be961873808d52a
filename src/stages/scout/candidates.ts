/** Files a change almost never edits by hand: dependencies, builds, lock files, media. */
const SKIP_PATH = /(^|\/)(node_modules|vendor|third_party|dist|build|coverage|\.git)\//;
const SKIP_NAME = /(^|\/)(package-lock\.json|npm-shrinkwrap\.json|yarn\.lock|pnpm-lock\.yaml|bun\.lockb?|Cargo\.lock|go\.sum|poetry\.lock|uv\.lock|Pipfile\.lock|Gemfile\.lock|composer\.lock|mix\.lock|flake\.lock|packages\.lock\.json|CHANGELOG[^/]*)$/i;
const SKIP_EXT = /\.(png|jpe?g|gif|ico|svg|webp|woff2?|ttf|eot|pdf|zip|gz|tgz|jar|mp4|mp3|wasm|snap|min\.js|map)$/i;

export function isCandidate(path: string, size: number): boolean {
  return size > 0 && size < 512 * 1024 && !SKIP_PATH.test(path) && !SKIP_NAME.test(path) && !SKIP_EXT.test(path);
}
