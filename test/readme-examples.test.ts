import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { COMMANDS } from "../src/events/commands/registry.js";
import { configSchema } from "../src/config/schema.js";
import { freePort } from "../src/sandbox/free-port.js";
import { parse } from "yaml";

const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { scripts: Record<string, string> };


describe("README", () => {
  it("opens with the run and test commands, and both scripts exist", () => {
    const first = /```sh\n([\s\S]*?)```/.exec(readme)?.[1] ?? "";
    const lines = first.trim().split("\n").map((l) => l.replace(/#.*$/, "").trim());
    expect(lines).toEqual(["npm ci && npm start", "npm ci && npm test"]);
    expect(pkg.scripts.start).toBeDefined();
    expect(pkg.scripts.test).toBe("vitest run --project fast");
    // CI runs the README's test command and the end-to-end project after it.
    const ci = readFileSync(new URL("../.ci/run", import.meta.url), "utf8");
    expect(ci).toMatch(/^npm test\nnpm run test:e2e\nnpm run test:double$/m);
  });

  it("lists exactly the commands the app has", () => {
    const listed = [...readme.matchAll(/^\| `(\/factory [^`]+)` \|/gm)].map((m) => m[1]);
    expect(listed).toEqual(COMMANDS.map((c) => c.usage));
  });

  it("shows a configuration example that the schema accepts", () => {
    const yamlBlock = /```yaml\n([\s\S]*?)```/.exec(readme)?.[1] ?? "";
    expect(configSchema.safeParse(parse(yamlBlock)).success).toBe(true);
  });

  it("`npm start` with no credentials serves Probot's setup page from app.yml", { timeout: 90_000 }, async () => {
    const port = await freePort();
    const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port), HOST: "127.0.0.1", NO_SMEE_SETUP: "true", LOG_LEVEL: "warn" };
    for (const name of ["APP_ID", "PRIVATE_KEY", "PRIVATE_KEY_PATH", "WEBHOOK_SECRET", "WEBHOOK_PROXY_URL", "GHE_HOST"]) delete env[name];
    const child = spawn("npm", ["start"], { cwd: new URL("..", import.meta.url), env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    try {
      let page = "";
      for (let attempt = 0; attempt < 240 && !page; attempt++) {
        await new Promise((resolve) => setTimeout(resolve, 250));
        if (child.exitCode !== null) throw new Error(`npm start exited with ${child.exitCode}:\n${output}`);
        page = await fetch(`http://127.0.0.1:${port}/probot`).then((r) => (r.ok ? r.text() : ""), () => "");
      }
      expect(page, output).toContain("Register GitHub App");
      const manifest = /name="manifest"[^>]*value='([^']*)'/.exec(page)?.[1] ?? "";
      const decoded = JSON.parse(manifest) as { default_events: string[]; hook_attributes: { url: string } };
      expect(decoded.default_events).toEqual(["issues", "issue_comment", "workflow_run", "check_run", "check_suite", "status", "pull_request", "pull_request_review"]);
      expect(decoded.hook_attributes.url).toBe(`http://127.0.0.1:${port}/`);
    } finally {
      if (child.pid) process.kill(-child.pid, "SIGTERM");
    }
  });
});
