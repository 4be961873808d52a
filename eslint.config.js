import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["lib/", "node_modules/", "coverage/", ".tune/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/consistent-type-imports": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "no-console": ["error", { allow: ["warn", "error"] }],
    },
  },
  {
    files: ["src/cli/**", "test/**", "scripts/**"],
    rules: { "no-console": "off" },
  },
  // The layers (ARCHITECTURE.md): imports run from orchestration to adapters to the pure core, never back.
  {
    // The pure core: records, codec, signing, fold, the line, config. No Probot, no processes, no network, no adapters.
    files: ["src/line/**", "src/config/**", "src/state/**", "src/ports/**"],
    rules: {
      "@typescript-eslint/no-restricted-imports": [
        "error",
        {
          paths: ["probot", "node:child_process", "node:http", "node:https", "node:net", "ioredis", "bullmq"].map((name) => ({ name, message: "the core is pure: this belongs in an adapter (github/, cells/) or in orchestration (stages/, events/)" })),
          patterns: [{ group: ["**/github/**", "**/events/**", "**/stages/**", "**/cells/**", "**/views/**", "**/ledger/**", "**/sandbox/**", "**/demo/**", "@software-factory/github-double"], message: "the core imports only the core (line/, config/, state/, ports/)" }],
        },
      ],
    },
  },
  {
    // The adapters (GitHub, processes and the box, comment views): they implement ports (type imports) and know nothing of orchestration.
    files: ["src/github/**", "src/cells/**", "src/views/**"],
    rules: {
      "@typescript-eslint/no-restricted-imports": [
        "error",
        { patterns: [{ group: ["**/events/**", "**/stages/**", "**/ledger/**"], message: "an adapter does not import orchestration (it may import a port's types)", allowTypeImports: true }, { group: ["**/sandbox/**", "**/demo/**", "@software-factory/github-double"], message: "the product does not import the GitHub double or the demo" }] },
      ],
    },
  },
  {
    // The stages are run by the event handlers, never the other way round.
    files: ["src/stages/**", "src/ledger/**"],
    rules: {
      "@typescript-eslint/no-restricted-imports": [
        "error",
        { patterns: [{ group: ["**/events/**", "**/sandbox/**", "**/demo/**", "@software-factory/github-double"], message: "a stage does not import the event handlers (events/ calls stages/), the GitHub double or the demo" }] },
      ],
    },
  },
  {
    // The product never depends on the GitHub double, the demo or the benchmarks.
    files: ["src/**"],
    ignores: ["src/sandbox/**", "src/demo/**", "src/cli/demo.ts", "src/cli/bench*.ts", "src/line/**", "src/config/**", "src/state/**", "src/ports/**", "src/github/**", "src/cells/**", "src/views/**", "src/stages/**", "src/ledger/**"],
    rules: {
      "@typescript-eslint/no-restricted-imports": ["error", { patterns: [{ group: ["**/sandbox/**", "**/demo/**", "@software-factory/github-double"], message: "the product does not import the GitHub double or the demo" }] }],
    },
  },
);
