import { readFileSync } from "node:fs";
import Mustache from "mustache";

/** `templates/` at the package root; the same relative path from `src/views` and `lib/views`. */
const TEMPLATE_ROOT = new URL("../../templates/", import.meta.url);

const cache = new Map<string, string>();

export function template(name: string): string {
  let text = cache.get(name);
  if (text === undefined) {
    text = readFileSync(new URL(name, TEMPLATE_ROOT), "utf8");
    cache.set(name, text);
  }
  return text;
}

/**
 * Untrusted text (issue titles, criteria, logins) reaches comments through `{{x}}`,
 * which escapes `<` and `>`: no HTML, and nothing that opens or closes a hidden
 * block. `{{{x}}}` is for text the app wrote itself.
 */
function escapeMarkdownHtml(value: unknown): string {
  return String(value).replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

export function render(name: string, view: Record<string, unknown>): string {
  return Mustache.render(template(name), view, undefined, { escape: escapeMarkdownHtml }).replace(/\n{3,}/g, "\n\n").trim();
}

export { BODY_LIMIT, fitBody, GITHUB_BODY_LIMIT, sized } from "../line/body.js";
