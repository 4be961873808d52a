import { readFileSync } from "node:fs";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { DEFAULT_CONFIG } from "../../../src/config/schema.js";
import { parseRequest } from "../../../src/stages/intake/parse-request.js";

interface FormItem {
  type: string;
  id?: string;
  attributes?: { label?: string; value?: string; description?: string; placeholder?: string };
  validations?: { required?: boolean };
}

interface IssueForm {
  name: string;
  description: string;
  title?: string;
  labels: string[];
  body: FormItem[];
}

const form = parse(readFileSync(new URL("../../../templates/issue-forms/factory-intake.yml", import.meta.url), "utf8")) as IssueForm;
const fields = form.body.filter((item) => item.type !== "markdown");
const field = (id: string): FormItem => {
  const found = fields.find((f) => f.id === id);
  if (!found) throw new Error(`the form has no field "${id}"`);
  return found;
};

/**
 * The issue body GitHub writes from a submitted form: each field (markdown items
 * are not submitted) as `### <label>`, a blank line and the answer, or
 * `_No response_` for an empty one.
 */
function submit(answers: Record<string, string>): string {
  return fields
    .map((f) => {
      const answer = (answers[f.id ?? ""] ?? "").trim();
      return `### ${f.attributes?.label ?? ""}\n\n${answer || "_No response_"}`;
    })
    .join("\n\n");
}

describe("the factory-intake issue form", () => {
  it("has what GitHub requires of an issue form at the top level", () => {
    expect(typeof form.name).toBe("string");
    expect(form.name.trim()).not.toBe("");
    expect(typeof form.description).toBe("string");
    expect(form.description.trim()).not.toBe("");
    expect(Array.isArray(form.body)).toBe(true);
    expect(fields.length).toBeGreaterThan(0);
    expect(Object.keys(form).filter((k) => !["name", "description", "title", "labels", "assignees", "projects", "type", "body"].includes(k))).toEqual([]);
  });

  it("labels the new issue with the intake label, so the factory starts on it", () => {
    expect(form.labels).toContain(DEFAULT_CONFIG.labels.intake);
    expect(form.labels).toContain("factory:intake");
  });

  it("gives every body item a known type, and every field a unique id and label", () => {
    for (const item of form.body) expect(["markdown", "textarea", "input", "dropdown", "checkboxes"]).toContain(item.type);
    for (const item of form.body.filter((i) => i.type === "markdown")) expect(item.attributes?.value?.trim()).toBeTruthy();
    for (const f of fields) {
      expect(f.id).toMatch(/^[A-Za-z0-9_-]+$/);
      expect(f.attributes?.label?.trim()).toBeTruthy();
    }
    const ids = fields.map((f) => f.id);
    expect(new Set(ids).size).toBe(ids.length);
    const labels = fields.map((f) => f.attributes?.label);
    expect(new Set(labels).size).toBe(labels.length);
    expect(ids).toEqual(["goal", "criteria", "context"]);
  });

  it("requires the Goal and the Success criteria, as textareas", () => {
    expect(field("goal")).toMatchObject({ type: "textarea", attributes: { label: "Goal" }, validations: { required: true } });
    expect(field("criteria")).toMatchObject({ type: "textarea", attributes: { label: "Success criteria" }, validations: { required: true } });
    expect(field("context").validations?.required).toBe(false);
  });

  it("starts the criteria as one empty checkbox", () => {
    expect(field("criteria").attributes?.value).toBe("- [ ] \n");
  });
});

describe("a submitted form, read by parseRequest", () => {
  it("gives the goal and each checklist line as a criterion; an empty Context is no part of either", () => {
    const body = submit({
      goal: "Users can switch the settings page to a dark theme.\n\nToday it is always light.",
      criteria: "- [ ] a theme toggle on the settings page\n- [ ] the choice survives a reload",
    });
    expect(body).toBe(
      [
        "### Goal",
        "",
        "Users can switch the settings page to a dark theme.",
        "",
        "Today it is always light.",
        "",
        "### Success criteria",
        "",
        "- [ ] a theme toggle on the settings page",
        "- [ ] the choice survives a reload",
        "",
        "### Context",
        "",
        "_No response_",
      ].join("\n"),
    );
    expect(parseRequest("[factory] Dark mode", body)).toEqual({
      goal: "Users can switch the settings page to a dark theme.\n\nToday it is always light.",
      criteria: ["a theme toggle on the settings page", "the choice survives a reload"],
      missing: [],
    });
  });

  it("keeps Context out of the goal when it is filled in", () => {
    const parsed = parseRequest("t", submit({ goal: "Dark mode.", criteria: "- [ ] toggle", context: "See src/theme.ts" }));
    expect(parsed.goal).toBe("Dark mode.");
    expect(parsed.criteria).toEqual(["toggle"]);
  });

  it("says criteria are missing when the criteria field was left as its default empty checkbox", () => {
    const untouched = field("criteria").attributes?.value ?? "";
    for (const criteria of [untouched, "- [ ]", "- [ ] "]) {
      const body = `### Goal\n\nDark mode.\n\n### Success criteria\n\n${criteria}\n\n### Context\n\n_No response_`;
      const parsed = parseRequest("t", body);
      expect(parsed.criteria, JSON.stringify(criteria)).toEqual([]);
      expect(parsed.missing, JSON.stringify(criteria)).toHaveLength(1);
      expect(parsed.missing[0]).toMatch(/section is empty/);
    }
  });

  it("does not count a leftover empty checkbox among filled ones as a criterion", () => {
    const parsed = parseRequest("t", submit({ goal: "Dark mode.", criteria: "- [ ] toggle\n- [ ] \n- [x] persists" }));
    expect(parsed.criteria).toEqual(["toggle", "persists"]);
    expect(parsed.missing).toEqual([]);
  });
});
