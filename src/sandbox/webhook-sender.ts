import { createHmac, randomUUID } from "node:crypto";
import type { DoubleEvent } from "./github-double.js";

export interface Delivery {
  id: string;
  name: string;
  action: string | undefined;
  payload: Record<string, unknown>;
  /** HTTP status the app answered, once delivered. */
  status?: number;
  durationMs?: number;
}

/**
 * Delivers webhooks the way GitHub does: signed (`X-Hub-Signature-256`), with an
 * event name and a delivery id, one at a time and in order, only for the events
 * the app subscribed to. A redelivery repeats the same id.
 */
export class WebhookSender {
  readonly deliveries: Delivery[] = [];
  private queue: Delivery[] = [];
  private running: Promise<void> | undefined;
  /** Called after each delivery is answered. */
  onDelivered: (delivery: Delivery) => void = () => {};

  constructor(private readonly options: { url: string; secret: string; events: readonly string[] }) {}

  enqueue(event: DoubleEvent): void {
    if (!this.options.events.includes(event.name)) return;
    const action = typeof event.payload.action === "string" ? event.payload.action : undefined;
    this.push({ id: randomUUID(), name: event.name, action, payload: event.payload });
  }

  /** Sends a delivery again with the same id, as "Redeliver" does in GitHub's UI. */
  redeliver(id: string): void {
    const original = this.deliveries.find((d) => d.id === id);
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
    this.running ??= this.drain().finally(() => {
      this.running = undefined;
    });
  }

  private async drain(): Promise<void> {
    for (let next = this.queue.shift(); next; next = this.queue.shift()) {
      await this.send(next);
    }
  }

  private async send(delivery: Delivery): Promise<void> {
    const body = JSON.stringify(delivery.payload);
    const signature = `sha256=${createHmac("sha256", this.options.secret).update(body).digest("hex")}`;
    const started = Date.now();
    try {
      const response = await fetch(this.options.url, {
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
