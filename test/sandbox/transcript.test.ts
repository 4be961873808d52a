import { describe, expect, it } from "vitest";
import { renderBody } from "../../src/sandbox/transcript.js";
import { encodeBlock } from "../../src/state/codec.js";

describe("renderBody", () => {
  it("renders Markdown, keeps the HTML GitHub allows, and escapes the rest", () => {
    const html = renderBody("**bold** <details><summary>more</summary>\n\nhidden\n\n</details> <script>alert(1)</script> <img src=x onerror=alert(1)>");
    expect(html).toContain("<strong>bold</strong>");
    expect(html).toContain("<details><summary>more</summary>");
    expect(html).not.toContain("<script>");
    expect(html).not.toContain("<img");
    expect(html).toContain("&lt;script&gt;");
  });

  it("keeps allowed tags that arrive together, without their attributes", () => {
    const html = renderBody('<details><summary onclick="x()">Success criteria (3)</summary>\n\n- a\n\n</details>');
    expect(html).toContain("<details><summary>Success criteria (3)</summary>");
    expect(html).not.toContain("onclick");
  });

  it("shows a hidden record as a badge naming its kind, never as raw JSON", () => {
    const html = renderBody(`Hello\n\n${encodeBlock({ kind: "artifact.opened", data: { title: "</div><b>x" } })}`);
    expect(html).toContain("record: artifact.opened");
    expect(html).not.toContain("software-factory");
    expect(html).not.toContain("</div><b>x");
  });
});
