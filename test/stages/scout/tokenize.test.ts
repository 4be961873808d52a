import { describe, expect, it } from "vitest";
import { pathTokens, splitIdentifier, tokenize } from "../../../src/stages/scout/tokenize.js";

describe("splitIdentifier", () => {
  it("splits camelCase and PascalCase at each capital", () => {
    expect(splitIdentifier("getInstallationOctokit")).toEqual(["get", "installation", "octokit"]);
    expect(splitIdentifier("RepoPort")).toEqual(["repo", "port"]);
  });

  it("splits snake_case, kebab-case and dotted names at the punctuation", () => {
    expect(splitIdentifier("max_files_per_commit")).toEqual(["max", "files", "per", "commit"]);
    expect(splitIdentifier("collapse-after")).toEqual(["collapse", "after"]);
    expect(splitIdentifier("config.load")).toEqual(["config", "load"]);
  });

  it("keeps an acronym whole and starts a new word at the capital after it", () => {
    expect(splitIdentifier("HTTPServer")).toEqual(["http", "server"]);
    expect(splitIdentifier("parseJSON")).toEqual(["parse", "json"]);
    expect(splitIdentifier("XMLHttpRequest")).toEqual(["xml", "http", "request"]);
    expect(splitIdentifier("URL")).toEqual(["url"]);
  });

  it("keeps digits with the word they follow", () => {
    expect(splitIdentifier("utf8Encoder")).toEqual(["utf8", "encoder"]);
    expect(splitIdentifier("base64ToHex")).toEqual(["base64", "to", "hex"]);
    expect(splitIdentifier("HTTP2Server")).toEqual(["http2", "server"]);
  });

  it("returns nothing for punctuation only", () => {
    expect(splitIdentifier("--__..")).toEqual([]);
    expect(splitIdentifier("")).toEqual([]);
  });
});

describe("tokenize", () => {
  it("drops stop words, commit-type noise and one-letter words, and lower-cases", () => {
    expect(tokenize("Fix the Login redirect when a user has no session")).toEqual(["login", "redirect", "user", "no", "session"]);
    expect(tokenize("feat: add export of the default config")).toEqual(["config"]);
  });

  it("keeps stop words when asked", () => {
    expect(tokenize("the user", true)).toEqual(["the", "user"]);
    expect(tokenize("the user")).toEqual(["user"]);
  });

  it("drops one- and two-digit numbers but keeps status codes and ports", () => {
    expect(tokenize("retry 3 times on 429, then 12 more, port 8080")).toEqual(["retry", "time", "429", "port", "8080"]);
  });

  it("splits identifiers inside prose", () => {
    expect(tokenize("`getInstallationOctokit()` throws")).toEqual(["get", "installation", "octokit", "throw"]);
  });

  it("folds plurals so singular and plural meet", () => {
    expect(tokenize("queries")).toEqual(tokenize("query"));
    expect(tokenize("branches")).toEqual(tokenize("branch"));
    expect(tokenize("boxes")).toEqual(tokenize("box"));
    expect(tokenize("labels")).toEqual(tokenize("label"));
    // Words that end in a double s are not plurals.
    expect(tokenize("address process")).toEqual(["address", "process"]);
  });

  it("returns nothing for empty or punctuation-only text", () => {
    expect(tokenize("")).toEqual([]);
    expect(tokenize("  ...  ---  ")).toEqual([]);
  });
});

describe("pathTokens", () => {
  it("tokenises every directory and the file name, without the extension", () => {
    expect(pathTokens("src/github/get-error-handler.ts")).toEqual(["src", "github", "get", "error", "handler"]);
  });

  it("keeps words a query would drop, since a directory called `new` or `type` is still a name", () => {
    expect(pathTokens("src/new/type.ts")).toEqual(["src", "new", "type"]);
  });

  it("splits camelCase file names and folds plurals like the query side", () => {
    expect(pathTokens("lib/RepoReaders.js")).toEqual(["lib", "repo", "reader"]);
    expect(pathTokens("test/stages/run_notes.test.ts")).toEqual(["test", "stage", "run", "note", "test"]);
  });

  it("drops only the last extension", () => {
    expect(pathTokens("docs/guide.v2.md")).toEqual(["doc", "guide", "v2"]);
    expect(pathTokens("Makefile")).toEqual(["makefile"]);
  });
});
