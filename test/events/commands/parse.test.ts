import { Lexer } from "marked";
import { describe, expect, it, vi } from "vitest";
import { MAX_COMMANDS_PER_COMMENT, parseCommands } from "../../../src/events/commands/parse.js";

describe("parseCommands", () => {
  it("finds commands at the start of a line, with arguments", () => {
    expect(parseCommands("Thanks!\n/factory retry build\n")).toEqual([{ name: "retry", args: ["build"], line: "/factory retry build" }]);
  });

  it("keeps the lines of the paragraph below a command, up to the next command, as its continuation", () => {
    expect(parseCommands("/factory revise\nlook in src/settings\nnot the theme\n/factory status\nthanks\n\nA new paragraph.")).toEqual([
      { name: "revise", args: [], line: "/factory revise", continuation: "look in src/settings\nnot the theme" },
      { name: "status", args: [], line: "/factory status", continuation: "thanks" },
    ]);
    expect(parseCommands("/factory verify\n\nSee the log.")).toEqual([{ name: "verify", args: [], line: "/factory verify" }]);
  });

  it("treats a bare /factory as help", () => {
    expect(parseCommands("/factory")[0]?.name).toBe("help");
  });

  it("ignores commands inside fenced code, quotes, indented code, mid-line and HTML comments", () => {
    const body = [
      "```",
      "/factory stop",
      "```",
      "~~~",
      "/factory stop",
      "~~~",
      "> /factory stop",
      "    /factory stop",
      "see /factory stop",
      "<!-- /factory stop -->",
    ].join("\n");
    expect(parseCommands(body)).toEqual([]);
  });

  it("follows Markdown as GitHub renders it: a longer fence holding a shorter one, a quote's lazy continuation, a list, a multi-line HTML comment", () => {
    const body = ["````", "```", "/factory stop", "```", "/factory stop", "````", "> quoted", "/factory stop", "", "- /factory stop", "", "<!--", "/factory stop", "-->"].join("\n");
    expect(parseCommands(body)).toEqual([]);
    expect(parseCommands("> quoted\n\n/factory stop")).toEqual([{ name: "stop", args: [], line: "/factory stop" }]);
    expect(parseCommands("/factory verify\n/factory build")).toHaveLength(2);
    expect(parseCommands("```\n/factory stop\n```\n\n/factory status\r\n")).toEqual([{ name: "status", args: [], line: "/factory status" }]);
  });

  it("does not match other words that start with factory", () => {
    expect(parseCommands("/factorystop")).toEqual([]);
  });

  it("lowercases the command name and caps the number per comment", () => {
    const body = Array.from({ length: 10 }, () => "/factory STATUS").join("\n");
    const found = parseCommands(body);
    expect(found).toHaveLength(MAX_COMMANDS_PER_COMMENT);
    expect(found[0]?.name).toBe("status");
  });

  it("keeps only safe characters in names and arguments, which replies echo", () => {
    expect(parseCommands("/factory `<!--x retry <b>build</b>")).toEqual([
      { name: "--x", args: ["retry", "bbuildb"], line: "/factory `<!--x retry <b>build</b>" },
    ]);
  });

  it("reads only the comment's blocks: the inline pass (emphasis, links), slow on some long comments and of no use here, never runs", () => {
    const inline = vi.spyOn(Lexer.prototype, "inlineTokens");
    try {
      expect(parseCommands(`/factory stop\n\n*why*: ${"a_".repeat(2_000)}\n\n> /factory retry`).map((c) => c.name)).toEqual(["stop"]);
      expect(inline).not.toHaveBeenCalled();
    } finally {
      inline.mockRestore();
    }
  });

  it("throws, for the caller to report, on Markdown nested deeper than the lexer's stack", () => {
    expect(() => parseCommands(`/factory stop\n\n${"- ".repeat(5_000)}x`)).toThrow(RangeError);
  });

  it("returns nothing for an empty body", () => {
    expect(parseCommands(null)).toEqual([]);
    expect(parseCommands("")).toEqual([]);
  });
});
