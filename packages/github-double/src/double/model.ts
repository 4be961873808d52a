import type { CommitInfo } from "../git-repo.js";

/** The double's records: what it keeps, before it is shaped into GitHub's JSON. */

export interface DoubleUser {
  login: string;
  id: number;
  type: "User" | "Bot";
}

export interface DoubleComment {
  id: number;
  node_id: string;
  body: string;
  user: DoubleUser;
  created_at: string;
  updated_at: string;
  issue: number;
  reactions: Array<{ content: string; user: string }>;
}

export interface DoublePull {
  head: string;
  base: string;
  draft: boolean;
  /** The head's sha when last seen: the `before` of the next `synchronize`. */
  headSha: string;
  maintainerCanModify: boolean;
  /** Set once merged: the merge commit, and the base branch's sha before it (what the PR's diff is against from then on). */
  merged?: { sha: string; at: string; by: DoubleUser; baseSha: string };
}

export interface DoubleIssue {
  number: number;
  node_id: string;
  title: string;
  body: string | null;
  state: "open" | "closed";
  user: DoubleUser;
  labels: string[];
  created_at: string;
  updated_at: string;
  closed_at?: string;
  pinned: boolean;
  pull?: DoublePull;
  /** People's reactions on the issue itself (its rollup in the issue's JSON). */
  reactions?: Array<{ content: string; user: string }>;
}

export interface DoubleRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  body: unknown;
  /** Lower-case names; `accept` selects raw file contents. */
  headers?: Record<string, string | undefined>;
}

export interface DoubleResponse {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export type DoubleCommit = CommitInfo;

/** A change GitHub would announce with a webhook: `name` is the event, `payload` its body. */
export interface DoubleEvent {
  name: string;
  payload: Record<string, unknown>;
}

/** A GitHub App as check runs and suites name it. */
export interface DoubleApp {
  id: number;
  slug: string;
  name: string;
}
