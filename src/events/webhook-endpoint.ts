/**
 * The webhook endpoint, in front of Probot's. Probot's (`createNodeMiddleware` of
 * @octokit/webhooks) reads the whole body into memory before it checks the
 * signature, and a bad one is logged with the body attached, twice. Anyone who
 * can reach the URL could spend the app's memory and fill its disk. Here a body
 * over GitHub's limit is refused with 413 before it is read (a declared length)
 * or as soon as it passes the limit (a chunked one), and the connection closes
 * after the answer has gone (a lingering close); the signature is checked
 * before Probot sees the body; each refusal is one short line (the delivery, the
 * event, the reason, the size), never the body.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Socket } from "node:net";
import type { Logger, Probot } from "probot";

/** GitHub does not deliver a payload over 25 MB, so a bigger body is not a delivery from GitHub. */
export const WEBHOOK_BODY_LIMIT = 25 * 1024 * 1024;

type Middleware = Awaited<ReturnType<Probot["getNodeMiddleware"]>>;

export interface Endpoint {
  /** Checks a body against the `x-hub-signature-256` header, as Probot will (`probot.webhooks`). */
  webhooks: { verify(payload: string, signature: string): Promise<boolean> };
  /** The webhook path (Probot's `/api/github/webhooks`, or `WEBHOOK_PATH`). */
  path: string;
  log: Logger;
  /** The largest body read, in bytes. */
  limit: number;
}

/**
 * Stands the endpoint in front of Probot's webhook middleware. Probot's server
 * builds that middleware with `probot.getNodeMiddleware()` when it starts and
 * runs it before every other handler (those given to `addHandler` come after it),
 * so the app function, which runs before the server starts, is the one place to
 * get in front of it.
 */
export function boundWebhookEndpoint(probot: Probot, limit = WEBHOOK_BODY_LIMIT): void {
  const probotMiddleware = probot.getNodeMiddleware.bind(probot);
  probot.getNodeMiddleware = async (options = {}) => {
    const inner = await probotMiddleware(options);
    return webhookEndpoint(inner, { webhooks: probot.webhooks, path: options.path ?? probot.webhookPath, log: (options.log ?? probot.log).child({ name: "webhooks" }), limit });
  };
}

/** `inner` (Probot's middleware) behind the checks above; what is not a POST to the webhook path goes straight to it. */
export function webhookEndpoint(inner: Middleware, endpoint: Endpoint): Middleware {
  const path = withoutTrailingSlashes(endpoint.path);
  return async (req: IncomingMessage, res: ServerResponse, next) => {
    // A request sent on after a refused body, on a connection that is closing: nobody reads its answer.
    if (lingering.has(req.socket)) {
      req.socket.destroy();
      return true;
    }
    if (req.method !== "POST" || pathOf(req) !== path) return inner(req, res, next);
    const delivery = deliveryOf(req);
    if (delivery.declared !== undefined && delivery.declared > endpoint.limit) {
      return refuse(res, endpoint.log, delivery, 413, `the body is ${delivery.declared} bytes, over the limit of ${endpoint.limit}`, delivery.declared);
    }
    // Probot's middleware answers these (415, 400) before it reads anything.
    if (delivery.signature === undefined || !delivery.complete) return inner(req, res, next);
    const read = await readWithin(req, endpoint.limit);
    if ("over" in read) return refuse(res, endpoint.log, delivery, 413, `the body passed the limit of ${endpoint.limit} bytes`, read.over);
    if ("failed" in read) return refuse(res, endpoint.log, delivery, 400, `the body could not be read (${read.failed})`, read.bytes);
    const payload = decoder.decode(read.body);
    if (!(await endpoint.webhooks.verify(payload, delivery.signature).catch(() => false))) {
      return refuse(res, endpoint.log, delivery, 400, "the signature does not match the body and the webhook secret (WEBHOOK_SECRET)", read.body.length);
    }
    // @octokit/webhooks answers 500 to JSON that is not an object (`null`, `1`, a string), and logs bad JSON at length.
    if (!isJsonObject(payload)) return refuse(res, endpoint.log, delivery, 400, "the payload is not a JSON object", read.body.length);
    // Probot's middleware takes a body already read as it is (and checks its signature again).
    Object.assign(req, { body: payload });
    return inner(req, res, next);
  };
}

/** Parsed once more than Probot does, but only once the signature says the body is GitHub's. */
function isJsonObject(payload: string): boolean {
  try {
    const value: unknown = JSON.parse(payload);
    return typeof value === "object" && value !== null && !Array.isArray(value);
  } catch {
    return false;
  }
}

/** As @octokit/webhooks decodes a body, so the signature is checked on the same text. */
const decoder = new TextDecoder("utf-8", { fatal: false });

interface Delivery {
  id: string;
  event: string;
  signature: string | undefined;
  /** `content-length`, when the body has one. */
  declared: number | undefined;
  /** The content type is JSON and the event and delivery headers are there. */
  complete: boolean;
}

function deliveryOf(req: IncomingMessage): Delivery {
  const header = (name: string): string | undefined => {
    const value = req.headers[name];
    return typeof value === "string" ? value : undefined;
  };
  const length = header("content-length");
  const id = header("x-github-delivery");
  const event = header("x-github-event");
  return {
    // The sender chooses these; a log line keeps only their start.
    id: (id ?? "(none)").slice(0, 100),
    event: (event ?? "(none)").slice(0, 100),
    signature: header("x-hub-signature-256"),
    declared: length !== undefined && /^\d+$/.test(length) ? Number(length) : undefined,
    complete: id !== undefined && event !== undefined && /^\s*application\/json\s*(?:;|$)/u.test(header("content-type") ?? ""),
  };
}

/**
 * One line says why, the sender gets the reason. A 413 closes the connection, so
 * the rest of the body is never kept: it is read and dropped for a short while
 * (see `lingerOnClose`), never stored.
 */
function refuse(res: ServerResponse, log: Logger, delivery: Delivery, status: number, reason: string, bytes: number): true {
  log.warn({ delivery: delivery.id, event: delivery.event, status, bytes }, `webhook ${delivery.id} (${delivery.event}) refused: ${reason}`);
  if (!res.headersSent && !res.destroyed) {
    if (status === 413) lingerOnClose(res);
    res.writeHead(status, { "content-type": "application/json", ...(status === 413 ? { connection: "close" } : {}) }).end(JSON.stringify({ error: reason }));
  }
  return true;
}

/** Connections closing after a 413. */
const lingering = new WeakSet<Socket>();

/** How long a refused body is still read (and dropped) after the answer, so that the sender reads the answer. */
const LINGER_MS = 2_000;

/**
 * A lingering close, as nginx's `lingering_close`. Node closes the connection as
 * soon as the answer is written; with the sender's bytes still unread, the kernel
 * then answers with a reset instead of a FIN, and a reset can reach the sender
 * before the answer does, which is lost (measured: 20 resets in 20 refused
 * chunked bodies, one answer lost). Here the answer goes, then a FIN, and the
 * rest of the body is read and dropped until the sender closes its side or
 * `LINGER_MS` pass. Node's server closes a `connection: close` answer with
 * `socket.destroySoon()`; this connection's is replaced.
 */
function lingerOnClose(res: ServerResponse): void {
  const { req } = res;
  const { socket } = req;
  lingering.add(socket);
  // Read on, dropping what comes (readWithin paused the request at the limit and let go of it).
  req.resume();
  socket.destroySoon = function lingerThenClose(this: typeof socket) {
    const timer = setTimeout(() => this.destroy(), LINGER_MS);
    timer.unref();
    this.once("close", () => clearTimeout(timer));
    // The sender's own FIN ends it at once (a socket's side closes when the other's has).
    this.once("end", () => this.destroy());
    this.on("error", () => this.destroy());
    this.end();
    this.resume();
  };
}

type Read = { body: Buffer } | { over: number } | { failed: string; bytes: number };

/** The body, or where it passed `limit` (reading stops there: the socket is paused, what was read is dropped), or why it ended early. */
function readWithin(req: IncomingMessage, limit: number): Promise<Read> {
  return new Promise((resolve) => {
    let chunks: Buffer[] = [];
    let bytes = 0;
    const settle = (read: Read) => {
      req.off("data", onData).off("end", onEnd).off("error", onFailed).off("close", onClosed);
      chunks = [];
      resolve(read);
    };
    const onData = (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes <= limit) chunks.push(chunk);
      else {
        req.pause();
        settle({ over: bytes });
      }
    };
    const onEnd = () => settle({ body: Buffer.concat(chunks, bytes) });
    const onFailed = (error: Error) => settle({ failed: error.message.slice(0, 200), bytes });
    const onClosed = () => settle({ failed: "the connection closed", bytes });
    req.on("data", onData).on("end", onEnd).on("error", onFailed).on("close", onClosed);
  });
}

function pathOf(req: IncomingMessage): string | undefined {
  try {
    return new URL(withoutTrailingSlashes(req.url ?? "/"), "http://localhost").pathname;
  } catch {
    // Probot's middleware answers 422.
    return undefined;
  }
}

/** As @octokit/webhooks compares paths: `/api/github/webhooks/` is `/api/github/webhooks`. */
function withoutTrailingSlashes(path: string): string {
  return path.replace(/\/+$/, "") || "/";
}
