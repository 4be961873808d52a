import { describe, expect, it } from "vitest";
import { age, ledgerPages, ledgerRow, ledgerTable, type LedgerRow } from "../../src/ledger/rows.js";
import { emptyArtifact } from "../../src/state/fold.js";

const NOW = Date.parse("2025-03-01T12:00:00Z");
const ago = (ms: number) => new Date(NOW - ms).toISOString();
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

function row(issue: number, overrides: Partial<LedgerRow> = {}): LedgerRow {
  return {
    issue,
    title: `Artifact ${issue}`,
    stage: "scout",
    status: "active",
    owner: "@alice",
    branch: `factory/${issue}-artifact`,
    pr: `#${issue + 10_000}`,
    verification: "none",
    nextHandoff: "scout: reading the code",
    age: "5m",
    opened: "2025-03-01",
    ...overrides,
  };
}

/**
 * A table row's cells the way GitHub's table extension splits them: a backslash
 * escapes the next character, any other `|` ends a cell.
 */
function gfmCells(line: string): string[] {
  const cells: string[] = [];
  let current = "";
  for (let i = 0; i < line.length; i++) {
    const ch = line[i] ?? "";
    if (ch === "\\" && i + 1 < line.length) {
      current += ch + (line[i + 1] ?? "");
      i++;
    } else if (ch === "|") {
      cells.push(current);
      current = "";
    } else {
      current += ch;
    }
  }
  cells.push(current);
  return cells.slice(1, -1);
}

/** The table's data rows in a page (skipping the header and the delimiter row). */
function dataRows(page: string): string[] {
  return page.split("\n").filter((line) => /^\| #\d+ /.test(line));
}

function issuesIn(page: string): number[] {
  return dataRows(page).map((line) => Number(/^\| #(\d+) /.exec(line)?.[1]));
}

describe("age", () => {
  it.each([
    [0, "0m"],
    [59 * MINUTE + 59_999, "59m"],
    [60 * MINUTE, "1h"],
    [47 * HOUR + 59 * MINUTE, "47h"],
    [48 * HOUR, "2d"],
    [30 * 24 * HOUR + 5 * HOUR, "30d"],
  ])("%i ms ago is %s", (ms, expected) => {
    expect(age(ago(ms), NOW)).toBe(expected);
  });

  it("is a dash without a start, and 0m for a clock that runs ahead", () => {
    expect(age(undefined, NOW)).toBe("—");
    expect(age(new Date(NOW + 10 * MINUTE).toISOString(), NOW)).toBe("0m");
  });
});

describe("ledgerRow", () => {
  it("shows the artifact's own fields, with dashes for what it does not have yet", () => {
    const artifact = { ...emptyArtifact("octo-org/widgets#7"), stage: "scout" as const, status: "active" as const, createdAt: ago(3 * HOUR) };
    expect(ledgerRow(7, "Issue title", artifact, NOW)).toEqual({
      issue: 7,
      title: "Issue title",
      stage: "scout",
      status: "active",
      owner: "—",
      branch: "—",
      pr: "—",
      verification: "none",
      nextHandoff: "intake: waiting for the request",
      age: "3h",
      opened: "2025-03-01",
    });
    const full = { ...artifact, title: "Recorded title", owner: "alice", branch: "factory/7-x", pr: 12, verification: "pass" as const };
    expect(ledgerRow(7, "Issue title", full, NOW)).toMatchObject({ title: "Recorded title", owner: "@alice", branch: "factory/7-x", pr: "#12", verification: "pass" });
  });
});

describe("ledgerPages", () => {
  const hostile = (i: number) =>
    `Title ${i} | with a pipe, a \\| backslash-pipe,\nnewlines\r\nand\rcarriage <script>alert(${i})</script> ` + "padding ".repeat(20);
  const many = Array.from({ length: 2_000 }, (_, i) =>
    row(2_000 - i, { title: hostile(i), nextHandoff: `build: <b>next</b>\nline | two ${i}`, branch: `factory/${i}-a|b` }),
  );

  it("splits 2,000 long, hostile rows into pages that each fit a GitHub body, every row once and in order", () => {
    const pages = ledgerPages(many, "2025-03-01 12:00 UTC");
    expect(pages.length).toBeGreaterThan(1);
    for (const page of pages) expect(page.length).toBeLessThanOrEqual(60_000);
    // A page comment also carries the page marker: still under GitHub's 65,536.
    for (const page of pages) expect(`${page}\n\n<!-- software-factory:ledger-page -->`.length).toBeLessThan(65_536);
    expect(pages.flatMap(issuesIn)).toEqual(many.map((r) => r.issue));
    pages.forEach((page, index) => {
      expect(page).toContain(`Updated 2025-03-01 12:00 UTC. Page ${index + 1} of ${pages.length}.`);
      expect(page.match(/Page \d+ of \d+/g)).toHaveLength(1);
      expect(page.startsWith("# Factory ledger")).toBe(true);
    });
  });

  it("keeps each page under a smaller limit too, and fills pages rather than leaving them near empty", () => {
    const limit = 8_000;
    const pages = ledgerPages(many.slice(0, 300), "now", limit);
    for (const page of pages) expect(page.length).toBeLessThanOrEqual(limit);
    // Every page but the last would have overflowed with one more row.
    for (const page of pages.slice(0, -1)) expect(dataRows(page).length).toBeGreaterThan(5);
    expect(pages.flatMap(issuesIn)).toEqual(many.slice(0, 300).map((r) => r.issue));
  });

  it("puts a row alone on a page when even one row is over the limit, losing none", () => {
    const pages = ledgerPages([row(3), row(2), row(1)], "now", 1);
    expect(pages.map(issuesIn)).toEqual([[3], [2], [1]]);
    expect(pages[2]).toContain("Page 3 of 3.");
  });

  it("makes every row exactly nine cells: pipes escaped, newlines flattened, no HTML", () => {
    const [page = ""] = ledgerPages(many.slice(0, 50), "now");
    const rows = dataRows(page);
    expect(rows).toHaveLength(50);
    for (const line of rows) {
      expect(gfmCells(line)).toHaveLength(9);
      expect(line).not.toMatch(/[<>\r]/);
    }
    expect(page).not.toContain("<script>");
    expect(page).toContain("&lt;script&gt;alert(0)&lt;/script&gt;");
    const first = gfmCells(rows[0] ?? "");
    // Displays as the title's own `|` and `\|`.
    expect(first[0]).toContain("Title 0 \\| with a pipe, a \\\\\\| backslash-pipe, newlines and carriage &lt;script&gt;");
    expect(first[7]).toBe(" build: &lt;b&gt;next&lt;/b&gt; line \\| two 0 ");
    // Every line of the page is a table line or prose: the newlines in titles made none of their own.
    expect(page.split("\n").filter((l) => /newlines|and &lt;script/.test(l) && !l.startsWith("| #"))).toEqual([]);
  });

  it("shortens long titles to 120 characters with an ellipsis", () => {
    const [page = ""] = ledgerPages([row(1, { title: "x".repeat(500) })], "now");
    const title = gfmCells(dataRows(page)[0] ?? "")[0]?.trim() ?? "";
    expect(title).toBe(`#1 ${"x".repeat(119)}…`);
  });

  it("numbers pages only when there is more than one", () => {
    const [single, ...none] = ledgerPages([row(2), row(1)], "2025-03-01 12:00 UTC");
    expect(none).toEqual([]);
    expect(single).toContain("Updated 2025-03-01 12:00 UTC.");
    expect(single).not.toMatch(/Page \d/);
    expect(issuesIn(single ?? "")).toEqual([2, 1]);
  });

  it("says how to start when there are no artifacts", () => {
    const pages = ledgerPages([], "now");
    expect(pages).toHaveLength(1);
    expect(pages[0]).toContain("*No artifacts yet: label an issue to start one.*");
    expect(pages[0]).not.toMatch(/Page \d/);
  });
});

describe("ledgerTable", () => {
  const rows = [
    row(123, { stage: "build", status: "blocked", owner: "@a-very-long-login", branch: "factory/123-a-long-branch-name", pr: "#1234", age: "12d" }),
    row(7, { owner: "—", branch: "—", pr: "—", nextHandoff: "first line\nsecond line", age: "0m" }),
  ];

  it("aligns every column under its header, two spaces apart, no trailing spaces", () => {
    const lines = ledgerTable(rows).split("\n");
    expect(lines).toHaveLength(3);
    const header = lines[0] ?? "";
    expect(header.split(/\s+/)).toEqual(["ISSUE", "STAGE", "STATUS", "OWNER", "BRANCH", "PR", "VERIFY", "NEXT", "AGE"]);
    const starts = [...header.matchAll(/\S+/g)].map((m) => m.index);
    const values = [
      ["#123", "build", "blocked", "@a-very-long-login", "factory/123-a-long-branch-name", "#1234", "none", "scout: reading the code", "12d"],
      ["#7", "scout", "active", "—", "—", "—", "none", "first line second line", "0m"],
    ];
    values.forEach((cols, r) => {
      const line = lines[r + 1] ?? "";
      cols.forEach((value, c) => {
        const start = starts[c] ?? -1;
        expect(line.slice(start, start + value.length)).toBe(value);
        if (c > 0) expect(line.slice(start - 2, start)).toBe("  ");
      });
    });
    // The widest value sets its column: OWNER is as wide as the long login, plus the gap.
    expect((starts[4] ?? 0) - (starts[3] ?? 0)).toBe("@a-very-long-login".length + 2);
    for (const line of lines) expect(line).toBe(line.trimEnd());
  });
});
