import { firstText } from "./excerpt.js";
import { framePlace, isLibrary, userFrame } from "./js-frames.js";
import type { Found, Parser } from "./types.js";

const SECTION = /⎯ (Failed Tests|Failed Suites|Unhandled Errors) \d*\s*⎯/;
const SEPARATOR = /^[ \t]*⎯+(?:\[\d+\/\d+\]⎯*)?$/;
const SUMMARY = /^[ \t]*(?:Test Files|Tests)[ \t]+\d/;

interface Block {
  at: number;
  headers: string[];
  kind: "test" | "unhandled";
  body: string[];
}

/**
 * vitest's default reporter. Failures are read from its closing sections: `Failed
 * Tests` and `Failed Suites` (a `FAIL file > suite > case` header, then the error,
 * diff, `❯ file:line:col` and code frame; identical errors share one body under
 * several headers) and `Unhandled Errors`.
 */
export const vitest: Parser = {
  tool: "vitest",
  detects: (text) => /^[ \t]*(?:RUN[ \t]+v\d|Test Files[ \t]+\d)/m.test(text) || text.includes("⎯ Failed Tests"),
  root(lines) {
    for (const line of lines) {
      const m = /^[ \t]*RUN[ \t]+v\S+[ \t]+(\/\S*)/.exec(line);
      if (m) return m[1];
    }
    return undefined;
  },
  parse(lines) {
    const blocks: Block[] = [];
    let section: "none" | "failed" | "unhandled" = "none";
    let current: Block | undefined;
    const close = () => {
      if (current) blocks.push(current);
      current = undefined;
    };
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i] as string;
      const heading = SECTION.exec(line);
      if (heading) {
        close();
        section = heading[1] === "Unhandled Errors" ? "unhandled" : "failed";
        continue;
      }
      if (section === "none") continue;
      if (SUMMARY.test(line)) {
        close();
        section = "none";
        continue;
      }
      if (SEPARATOR.test(line)) {
        close();
        continue;
      }
      const fail = section === "failed" ? /^[ \t]*FAIL[ \t]+(\S.*)$/.exec(line) : null;
      if (fail) {
        if (current && current.body.every((l) => !l.trim())) current.headers.push(fail[1] as string);
        else {
          close();
          current = { at: i, headers: [fail[1] as string], kind: "test", body: [] };
        }
        continue;
      }
      const unhandled = section === "unhandled" ? /^⎯+ (.+?) ⎯+$/.exec(line) : null;
      if (unhandled) {
        close();
        current = { at: i, headers: [unhandled[1] as string], kind: "unhandled", body: [] };
        continue;
      }
      current?.body.push(line);
    }
    close();
    return blocks.flatMap((block) => (block.kind === "test" ? testFailures(block) : [unhandledFailure(block)]));
  },
};

function testFailures(block: Block): Found[] {
  const body = block.body.filter((l) => !libraryFrame(l));
  const where = userFrame(body);
  return block.headers.map((header) => {
    const name = header.replace(/^\|[^|]+\|\s+/, "");
    const suite = /^(\S+)\s+\[\s*\S+\s*\]$/.exec(name);
    const [file, ...names] = suite ? [suite[1] as string] : name.split(" > ");
    return {
      tool: "vitest",
      at: block.at,
      test: names.length ? names.join(" > ") : undefined,
      message: firstText(body),
      file: where?.file ?? file,
      line: where?.line,
      column: where?.column,
      lines: body,
    };
  });
}

function unhandledFailure(block: Block): Found {
  const notes = block.body.findIndex((l) => /^This error originated in "/.test(l));
  const body = (notes >= 0 ? block.body.slice(0, notes) : block.body).filter((l) => !libraryFrame(l));
  const rest = notes >= 0 ? block.body.slice(notes) : [];
  const origin = rest.map((l) => /^This error originated in "([^"]+)"/.exec(l)?.[1]).find(Boolean);
  const latest = rest.map((l) => /The latest test that might've caused the error is "(.+)"\./.exec(l)?.[1]).find(Boolean);
  const where = userFrame(body);
  return {
    tool: "vitest",
    at: block.at,
    test: latest,
    message: `${block.headers[0] as string}: ${firstText(body)}`,
    file: where?.file ?? origin,
    line: where?.line,
    column: where?.column,
    lines: body,
  };
}

function libraryFrame(line: string): boolean {
  const place = framePlace(line);
  return place !== undefined && isLibrary(place.file);
}
