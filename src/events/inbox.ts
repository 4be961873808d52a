import { describeError, isTransient } from "../github/errors.js";
import type { LineEvent } from "./line-event.js";
import { LeaseLost, LockBusy } from "./locks.js";
import { PermanentFailure, TransientFailure } from "../line/failures.js";

/**
 * Where events wait to be handled. `push` returns once the event is as durable as
 * the inbox can make it (in Redis: stored, so the webhook may be acknowledged);
 * an event id seen before is a no-op, so a redelivered webhook changes nothing.
 * A worker takes events and calls the handler; a failure is retried by the
 * policy below, and an event given up on goes to `onDead`, once.
 */
export interface Inbox {
  readonly kind: "memory" | "redis";
  start(handle: EventHandler, onDead: DeadEventHandler): Promise<void>;
  /** Queues an event; `delayMs` makes it a timer. */
  push(event: LineEvent, options?: { delayMs?: number }): Promise<void>;
  /** Whether this process has events waiting, delayed (for a retry) or being handled. */
  readonly busy: boolean;
  /**
   * Resolves when nothing is waiting or being handled, and no timer falls due within
   * `horizonMs` (default: none at all; a test passes a horizon, so a timer ten
   * minutes out does not keep it waiting ten minutes).
   */
  idle(options?: { horizonMs?: number }): Promise<void>;
  /**
   * Stops taking events, lets the ones being handled finish (up to `graceMs`), then
   * hands back what is left: in Redis another process takes it; in memory it is lost
   * with the process, as everything in memory is. Events can still be pushed (a
   * job that finishes while its queue closes reports its result).
   */
  stop(options?: { graceMs?: number }): Promise<void>;
  /** `stop`, then no more pushes; connections closed. */
  close(options?: { graceMs?: number }): Promise<void>;
}

/** Handles one event; `attempt` counts from 1. Throws to have it tried again (see `failureOf`). */
export type EventHandler = (event: LineEvent, attempt: number) => Promise<void>;

/** Called once for an event the inbox gives up on, with why. */
export type DeadEventHandler = (event: LineEvent, failure: Failure, attempts: number) => Promise<void>;

export interface RetryPolicy {
  /** Attempts per event, the first included, for transient failures. */
  attempts: number;
  /** The first retry's delay; each next one doubles, up to `capMs`. */
  baseMs: number;
  capMs: number;
}

/** About a minute of retries (2, 4, 8, 16, 32 s), then the artifact says it is waiting and why. */
export const DEFAULT_RETRY: RetryPolicy = { attempts: 6, baseMs: 2_000, capMs: 60_000 };

export type Failure =
  /** Not a failure: another process holds the artifact; try again soon, without spending an attempt. */
  | { kind: "later"; delayMs: number; reason: string }
  /** GitHub (or the way to it) may answer differently next time. */
  | { kind: "transient"; reason: string }
  /** Asking again will not help (a 404, a 422, a bad event). */
  | { kind: "permanent"; reason: string };

export function failureOf(error: unknown): Failure {
  if (error instanceof LockBusy) return { kind: "later", delayMs: error.retryAfterMs, reason: error.message };
  if (error instanceof LeaseLost || error instanceof TransientFailure) return { kind: "transient", reason: error.message };
  if (error instanceof PermanentFailure) return { kind: "permanent", reason: error.message };
  return { kind: isTransient(error) ? "transient" : "permanent", reason: describeError(error) };
}

/** The delay before attempt `attempt + 1`: doubling from `baseMs`, capped, with ±20% jitter so retries of a burst spread. */
export function backoffMs(policy: RetryPolicy, attempt: number, random: () => number = Math.random): number {
  const delay = Math.min(policy.capMs, policy.baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(delay * (0.8 + 0.4 * random()));
}

/** Remembers ids for a while (a day, bounded): a redelivery within it is a no-op. */
export class SeenIds {
  private readonly ids = new Map<string, number>();

  constructor(
    private readonly ttlMs = 24 * 60 * 60_000,
    private readonly max = 50_000,
  ) {}

  /** True the first time an id is seen (within the window). */
  add(id: string, now = Date.now()): boolean {
    const at = this.ids.get(id);
    if (at !== undefined && now - at < this.ttlMs) return false;
    // Deleted first so an id seen again moves to the end of the insertion order (the youngest).
    this.ids.delete(id);
    this.ids.set(id, now);
    if (this.ids.size > this.max) {
      // Map order is insertion order: the oldest go first.
      for (const old of this.ids.keys()) {
        this.ids.delete(old);
        if (this.ids.size <= this.max * 0.9) break;
      }
    }
    return true;
  }
}

interface Entry {
  event: LineEvent;
  attempt: number;
}

/**
 * The inbox of one process: events wait in memory and are handled `concurrency` at
 * a time (one at a time per artifact is the locks' job). A crash loses what is
 * queued here; set `REDIS_URL` for an inbox that survives it.
 */
export class MemoryInbox implements Inbox {
  readonly kind = "memory" as const;
  private readonly waiting: Entry[] = [];
  /** Timers and when each falls due. */
  private readonly timers = new Map<NodeJS.Timeout, number>();
  private readonly seen = new SeenIds();
  private running = 0;
  private handle: EventHandler | undefined;
  private onDead: DeadEventHandler | undefined;
  private closed = false;
  private readonly settled: Array<() => void> = [];

  constructor(
    private readonly options: {
      concurrency?: number;
      retry?: RetryPolicy;
      log?: (message: string, fields: Record<string, unknown>) => void;
    } = {},
  ) {}

  async start(handle: EventHandler, onDead: DeadEventHandler): Promise<void> {
    this.handle = handle;
    this.onDead = onDead;
    this.pump();
  }

  async push(event: LineEvent, options: { delayMs?: number } = {}): Promise<void> {
    if (this.closed) throw new Error("the inbox is closed");
    if (!this.seen.add(event.id)) return;
    this.schedule({ event, attempt: 1 }, options.delayMs ?? 0);
  }

  get busy(): boolean {
    return this.waiting.length > 0 || this.running > 0 || this.timers.size > 0;
  }

  /** Whether anything waits, runs, or falls due within `horizonMs`. */
  pending(horizonMs = Infinity): boolean {
    return this.waiting.length > 0 || this.running > 0 || [...this.timers.values()].some((at) => at - Date.now() <= horizonMs);
  }

  async idle(options: { horizonMs?: number } = {}): Promise<void> {
    const horizon = options.horizonMs ?? Infinity;
    for (;;) {
      if (this.waiting.length > 0 || this.running > 0) await new Promise<void>((resolve) => this.settled.push(resolve));
      else if (this.pending(horizon)) await new Promise((resolve) => setTimeout(resolve, 5));
      else return;
    }
  }

  /** In memory there is nobody to hand anything to: stopping is closing. */
  stop(options: { graceMs?: number } = {}): Promise<void> {
    return this.close(options);
  }

  async close(options: { graceMs?: number } = {}): Promise<void> {
    this.closed = true;
    for (const timer of this.timers.keys()) clearTimeout(timer);
    this.timers.clear();
    const dropped = this.waiting.splice(0);
    if (dropped.length) this.log("inbox closed with events still waiting; they are lost with this process (set REDIS_URL to keep them)", { events: dropped.map((e) => e.event.id) });
    if (this.running > 0) {
      const grace = new Promise<void>((resolve) => setTimeout(resolve, options.graceMs ?? 10_000).unref());
      await Promise.race([this.idle(), grace]);
    }
    this.notify();
  }

  private schedule(entry: Entry, delayMs: number): void {
    if (this.closed) {
      this.log("inbox closed before an event could be tried again; it is lost with this process (set REDIS_URL to keep it)", { event: entry.event.id });
      return;
    }
    if (delayMs <= 0) {
      this.waiting.push(entry);
      this.pump();
      return;
    }
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (this.closed) return;
      this.waiting.push(entry);
      this.pump();
    }, delayMs);
    this.timers.set(timer, Date.now() + delayMs);
  }

  private pump(): void {
    const limit = this.options.concurrency ?? 16;
    while (!this.closed && this.handle && this.running < limit && this.waiting.length > 0) {
      const entry = this.waiting.shift() as Entry;
      this.running += 1;
      void this.run(entry).finally(() => {
        this.running -= 1;
        this.pump();
        this.notify();
      });
    }
  }

  private async run(entry: Entry): Promise<void> {
    const handle = this.handle as EventHandler;
    try {
      await handle(entry.event, entry.attempt);
      return;
    } catch (error) {
      const failure = failureOf(error);
      const policy = this.options.retry ?? DEFAULT_RETRY;
      if (failure.kind === "later") return this.schedule(entry, failure.delayMs);
      if (failure.kind === "transient" && entry.attempt < policy.attempts) {
        this.log("event failed; trying again", { event: entry.event.id, kind: entry.event.kind, attempt: entry.attempt, reason: failure.reason });
        return this.schedule({ ...entry, attempt: entry.attempt + 1 }, backoffMs(policy, entry.attempt));
      }
      try {
        await this.onDead?.(entry.event, failure, entry.attempt);
      } catch (deadError) {
        this.log("could not report an event given up on", { event: entry.event.id, err: (deadError as Error).message });
      }
    }
  }

  /** Wakes `idle` whenever nothing is waiting or running (it looks at the timers itself). */
  private notify(): void {
    if (this.waiting.length > 0 || this.running > 0) return;
    for (const resolve of this.settled.splice(0)) resolve();
  }

  private log(message: string, fields: Record<string, unknown>): void {
    this.options.log?.(message, fields);
  }
}
