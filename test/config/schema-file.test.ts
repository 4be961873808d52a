import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { configJsonSchema } from "../../src/config/schema.js";

const FILE = "schema/factory.schema.json";
const HOW = "run `npm run schema` and commit the result";

function committed(): unknown {
  try {
    return JSON.parse(readFileSync(new URL(`../../${FILE}`, import.meta.url), "utf8"));
  } catch (error) {
    throw new Error(`${FILE} is missing or not JSON (${(error as Error).message}): ${HOW}`);
  }
}

describe(FILE, () => {
  it("is the schema the code generates (editors read the file, the app the code)", () => {
    expect(committed(), `${FILE} is out of date: ${HOW}`).toEqual(configJsonSchema());
  });

  it("lives where its $id says", () => {
    expect(configJsonSchema().$id).toMatch(new RegExp(`/${FILE.replace(/\./g, "\\.")}$`));
  });
});
