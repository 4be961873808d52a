import { describe, expect, it } from "vitest";
import { acceptedTemplate, templateDigest } from "../../../src/stages/learn/prompt-file.js";

/** The base branch's files, as GitHub's contents API gives them; every read is kept. */
function branch(files: Record<string, string>) {
  const reads: Array<[string, string]> = [];
  return { reads, read: async (path: string, ref: string) => (reads.push([path, ref]), files[path]) };
}

describe("acceptedTemplate: the repository's accepted builder template", () => {
  it("is read from the base branch through GitHub, not from the job's checkout", async () => {
    const base = branch({ ".factory/prompts/builder.md": "Do {{goal}}." });
    expect(await acceptedTemplate(base.read, "main", "builder")).toEqual({ path: ".factory/prompts/builder.md", template: "Do {{goal}}." });
    expect(base.reads).toEqual([[".factory/prompts/builder.md", "main"]]);
  });

  it("none there: nothing to say", async () => {
    expect(await acceptedTemplate(branch({}).read, "main", "builder")).toEqual({ path: ".factory/prompts/builder.md" });
  });

  it("an empty, oversized or broken template is refused with the reason (the default is used)", async () => {
    const problem = async (text: string) => (await acceptedTemplate(branch({ ".factory/prompts/builder.md": text }).read, "main", "builder")).problem;
    expect(await problem("  \n")).toMatch(/is empty; the default template was used/);
    expect(await problem("x".repeat(40_000))).toMatch(/40000 characters, over the 32768 allowed/);
    expect(await problem("{{#criteria}}\n- {{.}}\n")).toMatch(/is not a valid template \(Unclosed section "criteria"/);
  });

  it("templates are told apart by a short digest", () => {
    expect(templateDigest("a")).toMatch(/^[0-9a-f]{16}$/);
    expect(templateDigest("a")).not.toBe(templateDigest("b"));
  });
});
