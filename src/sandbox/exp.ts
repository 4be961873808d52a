import { ProcessLine, startProcess, freePort } from "./process-line.js";
import { startRedis } from "./redis-server.js";
import { WebhookSender } from "./webhook-sender.js";
import { subscribedEvents } from "./sandbox.js";
const redis = await startRedis();
const line = await ProcessLine.start({ redis, processes: 1 });
line.sender.pause();
for (let i = 0; i < 40; i++) { const n = line.double.newIssue(line.double.user("a"), "t", "b").number; line.double.addLabel(n, "factory:intake"); line.double.postComment(n, line.double.user("m"), "/factory status"); line.double.postComment(n, line.double.user("m"), "/factory status"); }
const labels = line.sender.held.filter((d) => d.action === "labeled").map((d) => d.id);
for (const id of [...labels, ...labels]) line.sender.redeliver(id);
const held = [...line.sender.held];
for (const script of (process.env.SCRIPTS ?? "").split(",")) {
  const port = await freePort();
  const p = await startProcess(script, { ...line.env, LOG_LEVEL: "error" }, port);
  const s = new WebhookSender({ url: p.url, secret: line.secret, events: subscribedEvents() });
  await s.replay(held.slice(0, 1));
  for (let r = 0; r < 3; r++) {
    const a = await s.replay(held);
    const ms = a.map((d) => d.durationMs ?? 0).sort((x, y) => x - y);
    console.log(script.split("/").pop(), "p50", ms[Math.floor(ms.length / 2)], "p99", ms[Math.ceil(ms.length * 0.99) - 1]);
  }
  p.child.kill("SIGINT"); await p.exited;
}
await line.close(); await redis.stop();
