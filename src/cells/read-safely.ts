import { open } from "node:fs/promises";
import { constants } from "node:fs";

/**
 * Reads a file a harness could have written, without following a link it left there
 * (to a host file, a FIFO, a device): a regular file of at most `maxBytes`, or
 * undefined. What an untrusted process leaves in its directory is read through here.
 */
export async function readOwnFile(path: string, maxBytes: number): Promise<string | undefined> {
  let handle;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch {
    return undefined;
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile() || stat.size > maxBytes) return undefined;
    const buffer = Buffer.alloc(stat.size);
    const { bytesRead } = await handle.read(buffer, 0, stat.size, 0);
    return buffer.subarray(0, bytesRead).toString("utf8");
  } finally {
    await handle.close();
  }
}
