import { describe, expect, it } from "vitest";
import { learnedSettings } from "../../../src/stages/analyst/run-analyst.js";
import { makeRecord } from "../../../src/state/carriers.js";
import type { RecordDataOf, RecordKind, SignedRecord } from "../../../src/state/records.js";

const KEY = Buffer.from("learned-settings-test-key-0123456789");
const at = new Date("2026-11-29T12:00:00Z");
function chain(items: Array<[RecordKind, unknown]>): SignedRecord[] {
  return items.map(([kind, data], i) => makeRecord(kind, data as RecordDataOf<typeof kind>, { artifact: "acme/widgets#1", key: `k${i}`, seq: i + 1, prev: "genesis", at }, KEY));
}

describe("what a run used of what the line learned", () => {
  it("names calibrated scout weights and an accepted builder template; nothing when the defaults were used", () => {
    const learned = chain([
      ["stage.completed", { stage: "scout", summary: "memo", output: { weights: "weights calibrated for this repository (.factory/scout.json, fitted 2026-11-01 on 80 past changes; held-out recall@10 0.61 → 0.7 on 40 later ones)" } }],
      ["stage.completed", { stage: "build", summary: "built", output: { prompt: { template: ".factory/prompts/builder.md", digest: "0123456789abcdef" } } }],
    ]);
    expect(learnedSettings(learned)).toEqual([
      "the scout ranked with weights calibrated for this repository (.factory/scout.json, fitted 2026-11-01 on 80 past changes; held-out recall@10 0.61 → 0.7 on 40 later ones)",
      "the builder's prompt came from the repository's accepted template `.factory/prompts/builder.md` (0123456789abcdef)",
    ]);
    const defaults = chain([
      ["stage.completed", { stage: "scout", summary: "memo", output: {} }],
      ["stage.completed", { stage: "build", summary: "built", output: { prompt: { template: "cells/builder/prompt.md", digest: "0123456789abcdef" } } }],
    ]);
    expect(learnedSettings(defaults)).toEqual([]);
  });
});
