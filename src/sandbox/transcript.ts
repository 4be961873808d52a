import { Marked, type Tokens } from "marked";
import { decodeBlocks } from "../state/codec.js";
import type { DoubleIssue, GitHubDouble } from "@software-factory/github-double";

/** HTML GitHub renders in comments that the app's templates use; any other tag is shown as text. */
const ALLOWED_TAGS = new Set(["details", "summary", "sub", "sup", "br", "b", "i", "em", "strong", "code", "kbd"]);

function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

const markdown = new Marked({
  gfm: true,
  renderer: {
    html(token: Tokens.HTML | Tokens.Tag): string {
      const text = token.text.replace(/<!--[\s\S]*?-->/g, "");
      // Allowed tags keep only their name: attributes (event handlers, styles) never pass.
      return text.replace(/<(\/?)([a-z][a-z0-9-]*)\b[^<>]*>|[<>&]/gi, (match, slash: string | undefined, name: string | undefined) =>
        name && ALLOWED_TAGS.has(name.toLowerCase()) ? `<${slash ?? ""}${name.toLowerCase()}>` : escapeHtml(match),
      );
    },
  },
});

/** A comment body as GitHub would show it, with each hidden record as a small badge. */
export function renderBody(body: string): string {
  const badges = decodeBlocks(body).map((block) => {
    const kind = block.ok && typeof block.value === "object" && block.value !== null ? String((block.value as { kind?: unknown }).kind ?? "record") : "unreadable";
    return `<span class="record" title="hidden signed record">record: ${escapeHtml(kind)}</span>`;
  });
  const visible = body.replace(/<!--[\s\S]*?-->/g, "");
  return `${markdown.parse(visible, { async: false })}${badges.length ? `<div class="records">${badges.join(" ")}</div>` : ""}`;
}

function avatar(login: string): string {
  const hue = [...login].reduce((a, c) => a + c.charCodeAt(0), 0) % 360;
  return `<span class="avatar" style="background:hsl(${hue} 55% 45%)">${escapeHtml(login.slice(0, 1).toUpperCase())}</span>`;
}

function item(login: string, isBot: boolean, when: string, body: string): string {
  return `<div class="item">${avatar(login)}<div class="box"><div class="head"><b>${escapeHtml(login)}</b>${isBot ? ' <span class="bot">bot</span>' : ""} commented <time>${escapeHtml(when.replace("T", " ").slice(0, 19))}</time></div><div class="body">${renderBody(body)}</div></div></div>`;
}

function thread(double: GitHubDouble, issue: DoubleIssue): string {
  const kind = issue.pull ? (issue.pull.draft ? "Draft" : "Open") : issue.state === "open" ? "Open" : "Closed";
  const labels = issue.labels.map((l) => `<span class="label">${escapeHtml(l)}</span>`).join(" ");
  const branch = issue.pull ? `<div class="branch"><code>${escapeHtml(issue.pull.head)}</code> → <code>${escapeHtml(issue.pull.base)}</code> · ${double.commitsAhead(issue.pull.head).length} commit(s)</div>` : "";
  const comments = double.commentsOn(issue.number).map((c) => item(c.user.login, c.user.type === "Bot", c.created_at, c.body));
  return `<section class="thread" id="t${issue.number}"><h2>${escapeHtml(issue.title)} <span class="num">#${issue.number}</span></h2><div class="meta"><span class="state ${kind.toLowerCase()}">${kind}</span> ${issue.pull ? "pull request" : "issue"} by <b>${escapeHtml(issue.user.login)}</b> ${labels}</div>${branch}${item(issue.user.login, issue.user.type === "Bot", issue.created_at, issue.body ?? "*No description provided.*")}${comments.join("")}</section>`;
}

const STYLE = `body{font:14px/1.5 -apple-system,BlinkMacSystemFont,"Segoe UI",Helvetica,Arial,sans-serif;color:#1f2328;max-width:920px;margin:24px auto;padding:0 16px}
h1{font-size:24px;font-weight:600}h2{font-size:22px;font-weight:400;margin:32px 0 4px}.num{color:#59636e}
.meta,.branch{color:#59636e;margin-bottom:12px}.state{display:inline-block;padding:4px 10px;border-radius:2em;color:#fff;font-weight:500}
.open{background:#1f883d}.draft{background:#59636e}.closed{background:#8250df}.label{display:inline-block;padding:0 7px;border-radius:2em;background:#ddf4ff;color:#0969da;font-size:12px;font-weight:500}
.item{display:flex;gap:12px;margin:16px 0}.avatar{flex:none;width:40px;height:40px;border-radius:50%;color:#fff;display:flex;align-items:center;justify-content:center;font-weight:600}
.box{flex:1;border:1px solid #d1d9e0;border-radius:6px;min-width:0}.head{background:#f6f8fa;border-bottom:1px solid #d1d9e0;padding:8px 16px;color:#59636e;border-radius:6px 6px 0 0}
.head b{color:#1f2328}.bot{border:1px solid #d1d9e0;border-radius:2em;padding:0 6px;font-size:12px}.body{padding:8px 16px;overflow-x:auto}
table{border-collapse:collapse}td,th{border:1px solid #d1d9e0;padding:4px 10px}code{background:#eff1f3;padding:1px 4px;border-radius:4px;font-size:85%}
pre{background:#f6f8fa;padding:12px;border-radius:6px;overflow:auto}.records{margin-top:6px}.record{font-size:11px;color:#59636e;border:1px dashed #d1d9e0;border-radius:4px;padding:0 6px}
.timeline{background:#f6f8fa;border:1px solid #d1d9e0;border-radius:6px;padding:8px 16px;font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:12px;white-space:pre-wrap}`;

/** The issue and pull request threads of a sandbox run as one HTML page. */
export function renderTranscript(double: GitHubDouble, options: { title: string; summary: string[] }): string {
  const threads = [...double.issues.values()].sort((a, b) => a.number - b.number).map((issue) => thread(double, issue));
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(options.title)}</title><style>${STYLE}</style></head><body><h1>${escapeHtml(options.title)}</h1><div class="timeline">${escapeHtml(options.summary.join("\n"))}</div>${threads.join("")}</body></html>\n`;
}
