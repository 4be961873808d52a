import { realpathSync } from "node:fs";
import { fileURLToPath } from "node:url";

/**
 * Whether the module at `moduleUrl` is the script node was started with, so a CLI module can be
 * imported by tests without running. npm starts a bin through a symlink (`node_modules/.bin/factory`),
 * so real paths are compared.
 */
export function invokedDirectly(moduleUrl: string): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return realpathSync(script) === fileURLToPath(moduleUrl);
  } catch {
    return false;
  }
}
