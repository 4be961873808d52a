import { BoundedCache } from "../../line/bounded-cache.js";

/**
 * Tokens for retrieval: identifiers split at case and punctuation boundaries
 * (`getInstallationOctokit` → get, installation, octokit), lower-cased, with a
 * light plural fold, and the commonest English and code noise removed.
 */

const STOP = new Set(
  `a an and are as at be but by can do does for from has have how if in into is it its not of on or so that the their then there these this to was were when which while will with without you your we our us use used using via
  fix fixes fixed feat feature chore refactor perf add adds added remove removes removed update updates updated make makes support allow allows should now new also more all any some only when after before
  const let var function return import export from default true false null undefined type interface class new this`
    .split(/\s+/)
    .filter(Boolean),
);

function fold(word: string): string {
  if (word.length > 4 && word.endsWith("ies")) return `${word.slice(0, -3)}y`;
  if (word.length > 3 && word.endsWith("es") && /(ss|x|ch|sh)es$/.test(word)) return word.slice(0, -2);
  if (word.length > 3 && word.endsWith("s") && !word.endsWith("ss")) return word.slice(0, -1);
  return word;
}

/** Splits one identifier-ish chunk into its words. */
export function splitIdentifier(chunk: string): string[] {
  return chunk
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1 $2")
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
}

export function tokenize(text: string, keepStop = false): string[] {
  const out: string[] = [];
  for (const chunk of text.split(/[^A-Za-z0-9]+/)) {
    if (!chunk) continue;
    for (const word of splitIdentifier(chunk)) {
      // Short numbers are noise; longer ones (304, 8080, 2038) name status codes, ports and issues.
      if (word.length < 2 || /^\d{1,2}$/.test(word)) continue;
      if (!keepStop && STOP.has(word)) continue;
      out.push(fold(word));
    }
  }
  return out;
}

/** Path tokens: every directory and the file name, split like identifiers; extensions dropped. */
export function pathTokens(path: string): string[] {
  const noExt = path.replace(/\.[a-z0-9]+$/i, "");
  return tokenize(noExt.replace(/[/._-]/g, " "), true);
}

/** Commit messages and notes come back with every query: their tokens are kept (bounded), keyed by the text. */
const remembered = new BoundedCache<string, string[]>(16 * 1024 * 1024, (text) => text.length * 2);

export function tokenizeRemembered(text: string): string[] {
  let tokens = remembered.get(text);
  if (!tokens) {
    tokens = tokenize(text);
    remembered.set(text, tokens);
  }
  return tokens;
}
