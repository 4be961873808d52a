import { describe, expect, it } from "vitest";
import { existingBlocks } from "../../src/stages/sync-views.js";
import { TRACKING_MARKER } from "../../src/state/artifact-store.js";

describe("existingBlocks", () => {
  const record = '<!-- software-factory {"v":1,"kind":"artifact.opened","sig":"abc"} -->';

  it("takes the hidden blocks after the tracking marker, exactly as written", () => {
    expect(existingBlocks(`### Software Factory: Dark mode\n\n- [ ] works\n\n${TRACKING_MARKER}\n${record}`)).toEqual([record]);
  });

  it("takes nothing from the view above the marker: text there that starts like a block is a file or check name, not a record to copy below", () => {
    const view = "### Software Factory: Dark mode\n\n- [ ] docs (`docs/<!-- software-factory notes.md` changed) -->\n";
    const body = `${view}\n${TRACKING_MARKER}\n${record}`;
    expect(existingBlocks(body)).toEqual([record]);
  });
});
