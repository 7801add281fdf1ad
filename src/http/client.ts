/**
 * A fetch-like HTTP/1.1 client over PSK-TLS: `Request` in, `Response` out,
 * keep-alive connections per origin, session resumption from the tickets
 * the server sends, and 0-RTT early data (RFC 8446 §2.3) for idempotent
 * requests without a body, resent over 1-RTT when the server rejects the
 * early data or answers `425 Too Early` (RFC 8470 §5.2).
 *
 * Responses are parsed with http-parser-js (a maintained parser; the
 * runtimes' `node:http` clients cannot run over a custom socket on Bun);
 * bodies stream both ways with backpressure.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { HTTPParser } from "http-parser-js";
import type { ClientConfig, NegotiatedParameters } from "../config.ts";
import { connect } from "../client/connect.ts";
import type { ClientSession } from "../psk/session.ts";
import type { TlsStream } from "../streams/tls_stream.ts";

/** Options of {@link createTlsFetch}. */
export interface TlsFetchOptions {
  /** The TLS client configuration (external PSKs, suites, trust anchors for certificate mode, …). */
  tls: ClientConfig;
  /** Resume sessions from the server's tickets. Default true. */
  resumption?: boolean;
  /** Send idempotent body-less requests as 0-RTT early data when a ticket allows it. Default true. */
  earlyData?: boolean;
  /** Idle keep-alive connections kept per origin. Default 4; 0 closes each connection after its response. */
  maxIdlePerOrigin?: number;
  /** Largest response head accepted, in bytes. Default 81 920. */
  maxHeaderSize?: number;
  /** TLS handshake timeout, ms. Default 10 000 (`DEFAULT_HANDSHAKE_TIMEOUT`); 0 disables. */
  handshakeTimeout?: number;
}

/** The TLS facts of a response, on {@link TlsFetch.lastTls} and the `x-psk-tls-*` view. */
export interface ResponseTlsInfo {
  /** The negotiated parameters of the connection that carried the response. */
  params: NegotiatedParameters;
  /** Whether the request went out as 0-RTT early data and was accepted as such. */
  sentEarly: boolean;
  /** Whether the response came over a reused keep-alive connection. */
  reused: boolean;
}

/** A fetch over PSK-TLS made by {@link createTlsFetch}. */
export interface TlsFetch {
  /** Send a request (`https://host:port/path` URL) and resolve with the response head; the body streams. */
  (input: Request | string | URL, init?: RequestInit): Promise<Response>;
  /** TLS facts of the most recent response. */
  readonly lastTls: ResponseTlsInfo | null;
  /** Close every idle connection (close_notify). */
  close(): Promise<void>;
}

/** Idempotent methods sent as 0-RTT (RFC 8470 §3: only requests safe to replay). */
function safeForEarlyData(method: string): boolean {
  return method === "GET" || method === "HEAD" || method === "OPTIONS";
}

/** UTF-8 bytes of `text`. */
function utf8(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

interface Parsed {
  status: number;
  statusText: string;
  headers: Headers;
  keepAlive: boolean;
}

/** One keep-alive connection: serial requests, one response at a time. */
class Connection {
  readonly tls: TlsStream;
  readonly params: NegotiatedParameters;
  readonly #reader: ReadableStreamDefaultReader<Uint8Array>;
  readonly #writer: WritableStreamDefaultWriter<Uint8Array>;
  readonly #maxHeaderSize: number;
  used = 0;
  broken = false;

  constructor(tls: TlsStream, params: NegotiatedParameters, maxHeaderSize: number) {
    this.tls = tls;
    this.params = params;
    this.#reader = tls.readable.getReader();
    this.#writer = tls.writable.getWriter();
    this.#maxHeaderSize = maxHeaderSize;
  }

  async write(bytes: Uint8Array): Promise<void> {
    await this.#writer.write(bytes);
  }

  /** Write the request body (Content-Length known: raw; otherwise chunked). */
  async writeBody(body: ReadableStream<Uint8Array>, chunked: boolean): Promise<void> {
    const reader = body.getReader();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      if (value.byteLength === 0) continue;
      if (chunked) await this.write(utf8(`${value.byteLength.toString(16)}\r\n`));
      await this.write(value);
      if (chunked) await this.write(utf8("\r\n"));
    }
    if (chunked) await this.write(utf8("0\r\n\r\n"));
  }

  /**
   * Read one response: resolves with the head once it is parsed; the body
   * streams from `body`; `done` resolves with whether the connection may be reused.
   */
  readResponse(method: string): Promise<{ head: Parsed; body: ReadableStream<Uint8Array> | null; done: Promise<boolean> }> {
    const parser = new HTTPParser(HTTPParser.RESPONSE);
    parser.maxHeaderSize = this.#maxHeaderSize;
    let head: Parsed | undefined;
    let complete = false;
    let queued: Uint8Array[] = [];
    parser[HTTPParser.kOnHeadersComplete] = (info) => {
      const headers = new Headers();
      for (let i = 0; i + 1 < info.headers.length; i += 2) headers.append(info.headers[i]!, info.headers[i + 1]!);
      head = { status: info.statusCode, statusText: info.statusMessage, headers, keepAlive: info.shouldKeepAlive };
      return method === "HEAD" ? 1 : 0; // a HEAD response has no body (RFC 9110 §9.3.2)
    };
    parser[HTTPParser.kOnBody] = (chunk, offset, length) => {
      queued.push(new Uint8Array(chunk.buffer, chunk.byteOffset + offset, length).slice());
    };
    parser[HTTPParser.kOnMessageComplete] = () => {
      complete = true;
    };
    let ended = false;
    /** Feed one transport chunk to the parser; false at EOF. */
    const step = async (): Promise<void> => {
      const { value, done } = await this.#reader.read();
      if (done) {
        ended = true;
        const r = parser.finish();
        if (r instanceof Error) throw r;
        if (!complete) {
          if (!head) throw new TypeError("connection closed before the response");
          // Read-until-close body (no length, no chunking): EOF ends it.
          complete = true;
        }
        return;
      }
      const r = parser.execute(Buffer.from(value.buffer, value.byteOffset, value.byteLength));
      if (r instanceof Error) throw new TypeError(`malformed HTTP response: ${r.message}`);
    };
    let resolveDone!: (reuse: boolean) => void;
    const done = new Promise<boolean>((r) => (resolveDone = r));
    const finish = () => resolveDone(!ended && head!.keepAlive && !this.broken);
    return (async () => {
      try {
        while (!head) await step();
        // 1xx informational responses are skipped (RFC 9110 §15.2).
        while (head.status >= 100 && head.status < 200 && head.status !== 101) {
          head = undefined;
          complete = false;
          queued = [];
          parser.initialize(HTTPParser.RESPONSE);
          while (!head) await step();
        }
      } catch (e) {
        this.broken = true;
        throw e;
      }
      const status = head.status;
      const noBody = method === "HEAD" || status === 204 || status === 304;
      if (noBody) {
        while (!complete && !ended) await step();
        finish();
        return { head, body: null, done };
      }
      const body = new ReadableStream<Uint8Array>({
        pull: async (controller) => {
          try {
            while (queued.length === 0 && !complete) await step();
            for (const c of queued) controller.enqueue(c);
            queued = [];
            if (complete) {
              controller.close();
              finish();
            }
          } catch (e) {
            this.broken = true;
            controller.error(e);
            resolveDone(false);
          }
        },
        cancel: () => {
          this.broken = true;
          resolveDone(false);
        },
      });
      return { head, body, done };
    })();
  }

  async close(): Promise<void> {
    this.#reader.releaseLock();
    this.#writer.releaseLock();
    await this.tls.close().catch(() => {});
  }
}

/** The request head as HTTP/1.1 bytes. */
function requestHead(req: Request, url: URL, framing: "none" | "length" | "chunked"): Uint8Array {
  let text = `${req.method} ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\n`;
  let hasLength = false;
  req.headers.forEach((value, name) => {
    if (name === "host" || name === "transfer-encoding" || name === "connection") return;
    if (name === "content-length") hasLength = true;
    text += `${name}: ${value}\r\n`;
  });
  if (framing === "chunked") text += "Transfer-Encoding: chunked\r\n";
  else if (framing === "none" && !hasLength && req.method !== "GET" && req.method !== "HEAD") text += "Content-Length: 0\r\n";
  return utf8(`${text}\r\n`);
}

/**
 * Make a fetch over PSK-TLS. Requests go to the URL's host and port
 * (`https://` only); connections are kept alive and reused per origin.
 *
 * @example
 * ```ts ignore
 * import { createPsk } from "@psk-tls/tls13";
 * import { createTlsFetch } from "@psk-tls/tls13/http";
 *
 * const fetch = createTlsFetch({ tls: { psks: [createPsk({ identity: "device-1", secret })] } });
 * const res = await fetch("https://127.0.0.1:8443/whoami");
 * console.log(await res.json());
 * await fetch.close();
 * ```
 */
export function createTlsFetch(options: TlsFetchOptions): TlsFetch {
  const idle = new Map<string, Connection[]>();
  const tickets = new Map<string, ClientSession[]>();
  const maxIdle = options.maxIdlePerOrigin ?? 4;
  const maxHeaderSize = options.maxHeaderSize ?? 81_920;
  let lastTls: ResponseTlsInfo | null = null;

  const takeTicket = (origin: string): ClientSession | undefined => {
    const list = tickets.get(origin) ?? [];
    const now = Date.now();
    while (list.length > 0) {
      const s = list.pop()!; // freshest first; each ticket used once (RFC 8446 §C.4)
      if (s.receivedAt + s.lifetime * 1000 > now + 1000) return s;
    }
    return undefined;
  };

  const open = async (url: URL, early: Uint8Array | null): Promise<{ conn: Connection; sentEarly: boolean }> => {
    const origin = url.host;
    const config: ClientConfig = {
      ...options.tls,
      onSession: (s) => {
        const list = tickets.get(origin) ?? [];
        list.push(s);
        if (list.length > 8) list.shift();
        tickets.set(origin, list);
        options.tls.onSession?.(s);
      },
    };
    if (!config.serverName && !/^[\d.]+$|^\[/.test(url.hostname)) config.serverName = url.hostname;
    let offeredEarly = false;
    const ticket = options.resumption === false ? undefined : takeTicket(origin);
    if (ticket) {
      config.pskMode = "resumption";
      config.sessions = [ticket];
      if (early && options.earlyData !== false && ticket.maxEarlyData >= early.byteLength) {
        config.earlyData = early;
        offeredEarly = true;
      }
    }
    const connectOptions: Parameters<typeof connect>[0] = {
      host: url.hostname.replace(/^\[|\]$/g, ""),
      port: Number(url.port || 443),
      tls: config,
    };
    if (options.handshakeTimeout !== undefined) connectOptions.handshakeTimeout = options.handshakeTimeout;
    const tls = await connect(connectOptions);
    const params = await tls.handshake;
    return { conn: new Connection(tls, params, maxHeaderSize), sentEarly: offeredEarly && params.earlyData };
  };

  const release = (origin: string, conn: Connection, reuse: boolean): void => {
    const list = idle.get(origin) ?? [];
    if (reuse && list.length < maxIdle) {
      list.push(conn);
      idle.set(origin, list);
    } else {
      void conn.close();
    }
  };

  const send = async (req: Request): Promise<Response> => {
    const url = new URL(req.url);
    if (url.protocol !== "https:") throw new TypeError(`only https: URLs go over PSK-TLS, not ${url.protocol}`);
    const origin = url.host;
    const length = req.headers.get("content-length");
    const framing = req.body === null ? "none" : length !== null ? "length" : "chunked";
    const head = requestHead(req, url, framing);
    const earlyOk = req.body === null && safeForEarlyData(req.method);
    for (let attempt = 0;; attempt++) {
      let conn = idle.get(origin)?.pop();
      let sentEarly = false;
      const reused = conn !== undefined;
      if (!conn) ({ conn, sentEarly } = await open(url, earlyOk ? head : null));
      try {
        if (!sentEarly) {
          await conn.write(head);
          if (req.body !== null) await conn.writeBody(req.body, framing === "chunked");
        }
        let { head: res, body, done } = await conn.readResponse(req.method);
        if (sentEarly && res.status === 425) {
          // RFC 8470 §5.2: retry after the handshake, on the same connection.
          await body?.cancel().catch(() => {});
          if (!(await done)) throw new TypeError("connection closed after 425");
          sentEarly = false;
          await conn.write(head);
          ({ head: res, body, done } = await conn.readResponse(req.method));
        }
        conn.used++;
        const c = conn;
        void done.then((reuse) => release(origin, c, reuse));
        lastTls = { params: conn.params, sentEarly, reused };
        return new Response(body, { status: res.status, statusText: res.statusText, headers: res.headers });
      } catch (e) {
        conn.broken = true;
        void conn.close();
        // A reused keep-alive connection the server had closed: retry once on a new one (idempotent only).
        if (reused && attempt === 0 && earlyOk) continue;
        throw e;
      }
    }
  };

  const tlsFetch = ((input: Request | string | URL, init?: RequestInit) =>
    send(input instanceof Request && init === undefined ? input : new Request(input, init))) as TlsFetch;
  Object.defineProperty(tlsFetch, "lastTls", { get: () => lastTls });
  tlsFetch.close = async () => {
    const all = [...idle.values()].flat();
    idle.clear();
    await Promise.all(all.map((c) => c.close()));
  };
  return tlsFetch;
}
