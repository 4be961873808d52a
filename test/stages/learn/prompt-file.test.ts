import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readPromptOverride, templateDigest } from "../../../src/stages/learn/prompt-file.js";

function clone(files: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), "prompt-file-"));
  mkdirSync(join(dir, ".factory/prompts"), { recursive: true });
  for (const [path, text] of Object.entries(files)) writeFileSync(join(dir, path), text);
  return dir;
}

describe("readPromptOverride: the repository's accepted template", () => {
  it("is used when it is a regular, non-empty file", async () => {
    expect(await readPromptOverride(clone({ ".factory/prompts/builder.md": "Do {{goal}}." }), "builder")).toEqual({ path: ".factory/prompts/builder.md", template: "Do {{goal}}." });
  });

  it("none there: nothing to say", async () => {
    expect(await readPromptOverride(clone(), "builder")).toEqual({ path: ".factory/prompts/builder.md" });
  });

  it("a symlink is refused (it could point at a file of the host), and so are an empty and an oversized file", async () => {
    const linked = clone();
    symlinkSync("/etc/hostname", join(linked, ".factory/prompts/builder.md"));
    expect(await readPromptOverride(linked, "builder")).toEqual({ path: ".factory/prompts/builder.md", problem: expect.stringMatching(/not a regular file/) });
    expect((await readPromptOverride(clone({ ".factory/prompts/builder.md": "  \n" }), "builder")).problem).toMatch(/is empty/);
    expect((await readPromptOverride(clone({ ".factory/prompts/builder.md": "x".repeat(40_000) }), "builder")).problem).toMatch(/40000 bytes, over the 32768 allowed/);
  });

  it("templates are told apart by a short digest", () => {
    expect(templateDigest("a")).toMatch(/^[0-9a-f]{16}$/);
    expect(templateDigest("a")).not.toBe(templateDigest("b"));
  });
});
