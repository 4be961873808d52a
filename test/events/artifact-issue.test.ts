import { describe, expect, it } from "vitest";
import { artifactIssue } from "../../src/events/from-webhook.js";

describe("artifactIssue", () => {
  it("reads the issue from an artifact branch, whatever the prefix", () => {
    expect(artifactIssue("factory/12-dark-mode")).toBe(12);
    expect(artifactIssue("bots/factory/7-x")).toBe(7);
  });

  it("is not fooled by the factory's other branches or anyone else's", () => {
    expect(artifactIssue("factory/run-note-2026-11-25-dark-mode")).toBeUndefined();
    expect(artifactIssue("factory/lessons-from-12")).toBeUndefined();
    expect(artifactIssue("feature/login")).toBeUndefined();
    expect(artifactIssue("main")).toBeUndefined();
  });
});
