/**
 * The `--http` mode of the CLI server (like `openssl s_server -www`): read
 * one HTTP/1.x request head (request line and headers; any body is ignored)
 * and answer with a small text page describing the TLS session, then close
 * (`Connection: close`).
 *
 * @module
 */
import type { NegotiatedParameters } from "../config.ts";

/** Largest request head accepted, in bytes; larger ones get 431. */
export const MAX_REQUEST_HEAD = 16_384;

/** A parsed request head. */
export interface RequestHead {
  /** e.g. "GET". */
  method: string;
  /** e.g. "/". */
  target: string;
  /** e.g. "HTTP/1.1". */
  version: string;
  /** Header lines, names lower-cased, in order. */
  headers: [string, string][];
}

/** Why a request could not be read. */
export type RequestFailure = "eof" | "too_large" | "bad_request";

function indexOfHeadEnd(buf: Uint8Array): { end: number; sep: number } | null {
  for (let i = 0; i < buf.length; i++) {
    if (buf[i] !== 0x0a) continue;
    if (buf[i + 1] === 0x0a) return { end: i, sep: 2 };
    if (buf[i + 1] === 0x0d && buf[i + 2] === 0x0a) return { end: i, sep: 3 };
  }
  return null;
}

/** Parse a request head (the text before the blank line). */
export function parseRequestHead(text: string): RequestHead | null {
  const lines = text.split(/\r?\n/);
  const m = /^([A-Z]+) (\S+) (HTTP\/1\.[01])$/.exec(lines[0] ?? "");
  if (!m) return null;
  const headers: [string, string][] = [];
  for (const line of lines.slice(1)) {
    if (line === "") continue;
    const colon = line.indexOf(":");
    if (colon <= 0) return null;
    headers.push([line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()]);
  }
  return { method: m[1]!, target: m[2]!, version: m[3]!, headers };
}

/** Read one request head from `reader`; leftover bytes (a body, pipelined requests) are dropped. */
export async function readRequestHead(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<RequestHead | RequestFailure> {
  let buf = new Uint8Array(0);
  for (;;) {
    const found = indexOfHeadEnd(buf);
    if (found) {
      const head = parseRequestHead(new TextDecoder("latin1").decode(buf.subarray(0, found.end)));
      return head ?? "bad_request";
    }
    if (buf.length > MAX_REQUEST_HEAD) return "too_large";
    const { value, done } = await reader.read();
    if (done) return buf.length === 0 ? "eof" : "bad_request";
    const next = new Uint8Array(buf.length + value.length);
    next.set(buf);
    next.set(value, buf.length);
    buf = next;
  }
}

/** The page describing a session. */
export function sessionPage(p: NegotiatedParameters, request: RequestHead | null): string {
  const lines = [
    "psk-tls test server",
    "",
    `Protocol:      ${p.version}`,
    `Cipher suite:  ${p.cipherSuite}`,
    `Key exchange:  ${p.keyExchange}`,
    `Group:         ${p.group ?? "none"}`,
    `PSK identity:  ${p.pskIdentity ?? "none"}`,
    `Resumed:       ${p.resumed}`,
    `Early data:    ${p.earlyData}`,
    `ALPN:          ${p.alpn ?? "none"}`,
    `Server name:   ${p.serverName ?? "none"}`,
    `HelloRetry:    ${p.helloRetry}`,
  ];
  if (request) lines.push("", `Request:       ${request.method} ${request.target} ${request.version}`);
  return `${lines.join("\n")}\n`;
}

/** A complete HTTP/1.0-style response with `Connection: close`. */
export function httpResponse(status: number, reason: string, body: string, head = false): Uint8Array {
  const bodyBytes = new TextEncoder().encode(body);
  const text = `HTTP/1.0 ${status} ${reason}\r\n` +
    "Content-Type: text/plain; charset=utf-8\r\n" +
    `Content-Length: ${bodyBytes.length}\r\n` +
    "Connection: close\r\n\r\n";
  const headBytes = new TextEncoder().encode(text);
  if (head) return headBytes;
  const out = new Uint8Array(headBytes.length + bodyBytes.length);
  out.set(headBytes);
  out.set(bodyBytes, headBytes.length);
  return out;
}

/** Answer one request on `readable`/`writable` for a session with parameters `p`. */
export async function serveHttp(
  readable: ReadableStream<Uint8Array>,
  writable: WritableStream<Uint8Array>,
  p: NegotiatedParameters,
): Promise<void> {
  const reader = readable.getReader();
  const writer = writable.getWriter();
  try {
    const req = await readRequestHead(reader);
    if (req === "eof") return;
    let response: Uint8Array;
    if (req === "too_large") response = httpResponse(431, "Request Header Fields Too Large", "request head too large\n");
    else if (req === "bad_request") response = httpResponse(400, "Bad Request", "bad request\n");
    else response = httpResponse(200, "OK", sessionPage(p, req), req.method === "HEAD");
    await writer.write(response);
  } finally {
    reader.releaseLock();
    writer.releaseLock();
  }
}
