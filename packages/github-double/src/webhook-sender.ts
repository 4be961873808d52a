import { randomUUID } from "node:crypto";
import { sign } from "@octokit/webhooks-methods";
import type { DoubleEvent } from "./github-double.js";

export interface Delivery {
  id: string;
  name: string;
  action: string | undefined;
  payload: Record<string, unknown>;
  /** HTTP status the app answered, once delivered. */
  status?: number;
  durationMs?: number;
  /** Where it went (one of the app's URLs). */
  url?: string;
}

/**
 * Where each delivery goes when the app runs as several processes: `round-robin`
 * (one process each, as a load balancer does) or `all` (every process sees it, as
 * during a redelivery to a replica set).
 */
export type Route = "round-robin" | "all";

/**
 * Delivers webhooks the way GitHub does: signed (`X-Hub-Signature-256`), with an
 * event name and a delivery id, one at a time and in order, only for the events
 * the app subscribed to. A redelivery repeats the same id.
 */
export class WebhookSender {
  readonly deliveries: Delivery[] = [];
  private queue: Delivery[] = [];
  private running: Promise<void> | undefined;
  private paused = false;
  private next = 0;
  /** Called after each delivery is answered. */
  onDelivered: (delivery: Delivery) => void = () => {};
  route: Route = "round-robin";

  constructor(private readonly options: { url: string | readonly string[]; secret: string; events: readonly string[] }) {}

  private override: readonly string[] | undefined;

  private get urls(): readonly string[] {
    return this.override ?? (typeof this.options.url === "string" ? [this.options.url] : this.options.url);
  }

  /** From now on, every delivery goes to `url` only (the others are gone). */
  only(url: string): void {
    this.override = [url];
  }

  /** Holds deliveries back until `resume`, so a test can let a burst arrive at once. */
  pause(): void {
    this.paused = true;
  }

  /** While paused, sends the held deliveries that match, in order; the rest stay held. */
  release(match: (delivery: Delivery) => boolean): void {
    const now = this.queue.filter((d) => match(d));
    this.queue = this.queue.filter((d) => !match(d));
    const sending = (async () => {
      for (const delivery of now) await this.send(delivery);
    })();
    this.running = (this.running ?? Promise.resolve()).then(() => sending).finally(() => {
      this.running = undefined;
    });
  }

  /** Sends what was held: in order, one at a time, or all at once (`concurrent`). */
  resume(options: { concurrent?: boolean } = {}): void {
    this.paused = false;
    if (options.concurrent) {
      const burst = this.queue.splice(0);
      const all = Promise.all(burst.map((d) => this.send(d))).then(() => undefined);
      this.running = (this.running ?? Promise.resolve()).then(() => all).finally(() => {
        this.running = undefined;
        if (this.queue.length) this.kick();
      });
      return;
    }
    this.kick();
  }

  /** Sends these deliveries (signed with this sender's secret), all at once; resolves when each is answered. */
  async replay(deliveries: readonly Delivery[]): Promise<Delivery[]> {
    const copies = deliveries.map((d) => ({ id: d.id, name: d.name, action: d.action, payload: d.payload }));
    await Promise.all(copies.map((d) => this.send(d)));
    return copies;
  }

  /** Deliveries waiting while paused. */
  get held(): readonly Delivery[] {
    return this.queue;
  }

  enqueue(event: DoubleEvent): void {
    if (!this.options.events.includes(event.name)) return;
    const action = typeof event.payload.action === "string" ? event.payload.action : undefined;
    this.push({ id: randomUUID(), name: event.name, action, payload: event.payload });
  }

  /** Sends a delivery again with the same id, as "Redeliver" does in GitHub's UI. */
  redeliver(id: string): void {
    const original = this.deliveries.find((d) => d.id === id) ?? this.queue.find((d) => d.id === id);
    if (!original) throw new Error(`no delivery ${id}`);
    this.push({ id: original.id, name: original.name, action: original.action, payload: original.payload });
  }

  get busy(): boolean {
    return this.running !== undefined;
  }

  /** Resolves when every queued delivery has been answered. */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  private push(delivery: Delivery): void {
    this.queue.push(delivery);
    this.kick();
  }

  private kick(): void {
    if (this.paused) return;
    this.running ??= this.drain().finally(() => {
      this.running = undefined;
    });
  }

  private async drain(): Promise<void> {
    for (let next = this.paused ? undefined : this.queue.shift(); next; next = this.paused ? undefined : this.queue.shift()) {
      await this.send(next);
    }
  }

  private async send(delivery: Delivery): Promise<void> {
    const urls = this.urls;
    if (this.route === "all" && urls.length > 1) {
      await Promise.all(urls.map((url) => this.sendTo({ ...delivery }, url)));
      return;
    }
    await this.sendTo(delivery, urls[this.next++ % urls.length] as string);
  }

  private async sendTo(delivery: Delivery, url: string): Promise<void> {
    const body = JSON.stringify(delivery.payload);
    const signature = await sign(this.options.secret, body);
    const started = Date.now();
    try {
      delivery.url = url;
      const response = await fetch(url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "user-agent": "GitHub-Hookshot/sandbox",
          "x-github-event": delivery.name,
          "x-github-delivery": delivery.id,
          "x-github-hook-installation-target-type": "integration",
          "x-hub-signature-256": signature,
        },
        body,
      });
      await response.arrayBuffer();
      delivery.status = response.status;
    } catch {
      delivery.status = 0;
    }
    delivery.durationMs = Date.now() - started;
    this.deliveries.push(delivery);
    this.onDelivered(delivery);
  }
}
