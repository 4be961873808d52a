/**
 * Webhooks first: GitHub gives a delivery 10 s, and a process that answers while it
 * handles events answers later. A delivery being acknowledged holds the gate, and
 * for `settleMs` after the last one (the gaps inside a burst); the line's work waits
 * at the gate before each GitHub request, at most `maxWaitMs` each time, so a
 * steady stream of deliveries slows the line down but cannot stop it.
 */
export class AckGate {
  private inFlight = 0;
  private lastAck = 0;
  private waiters: Array<() => void> = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly settleMs = 5,
    private readonly maxWaitMs = 50,
  ) {}

  async around<T>(ack: () => Promise<T>): Promise<T> {
    this.inFlight += 1;
    try {
      return await ack();
    } finally {
      this.inFlight -= 1;
      this.lastAck = Date.now();
      if (this.inFlight === 0 && this.waiters.length) this.schedule();
    }
  }

  /** Resolves once no delivery is being acknowledged and none was for `settleMs`, or after `maxWaitMs`. */
  quiet(): Promise<void> {
    if (this.open()) return Promise.resolve();
    return new Promise((resolve) => {
      const giveUp = setTimeout(wake, this.maxWaitMs);
      giveUp.unref();
      function wake() {
        clearTimeout(giveUp);
        resolve();
      }
      this.waiters.push(wake);
      if (this.inFlight === 0) this.schedule();
    });
  }

  private open(): boolean {
    return this.inFlight === 0 && Date.now() - this.lastAck >= this.settleMs;
  }

  private schedule(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.open()) for (const wake of this.waiters.splice(0)) wake();
      else if (this.inFlight === 0) this.schedule();
    }, Math.max(1, this.settleMs - (Date.now() - this.lastAck)));
    this.timer.unref();
  }
}
