/**
 * Candidate B of docs/http.md, for measurement only: a streams-native
 * HTTP/1.1 server codec over http-parser-js (a maintained parser from the
 * registry) reading a TLS stream's plaintext and writing fetch Responses.
 * Keep-alive, Content-Length and chunked bodies both ways; minimal on
 * purpose (no pipelining overlap, no limits beyond the parser's header cap):
 * enough to compare cost with candidate A (the runtime's node:http).
 */
import { Buffer } from "node:buffer";
import { HTTPParser } from "http-parser-js";
import type { TlsStream } from "../../src/streams/tls_stream.ts";

type Fetch = (req: Request) => Response | Promise<Response>;
const enc = new TextEncoder();

export async function serveCandidateB(tls: TlsStream, fetch: Fetch): Promise<void> {
  const reader = tls.readable.getReader();
  const writer = tls.writable.getWriter();
  const parser = new HTTPParser(HTTPParser.REQUEST);
  parser.maxHeaderSize = 16384;
  type Head = { method: string; url: string; headers: string[]; keepAlive: boolean };
  const heads: Head[] = [];
  let bodyCtl: ReadableStreamDefaultController<Uint8Array> | null = null;
  let bodyDone = false;
  let waitBody: (() => void) | null = null;
  parser[HTTPParser.kOnHeadersComplete] = (info) => {
    heads.push({ method: HTTPParser.methods[info.method]!, url: info.url, headers: info.headers, keepAlive: info.shouldKeepAlive });
  };
  parser[HTTPParser.kOnBody] = (chunk, offset, length) => {
    bodyCtl?.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset + offset, length).slice());
  };
  parser[HTTPParser.kOnMessageComplete] = () => {
    bodyDone = true;
    bodyCtl?.close();
    bodyCtl = null;
    waitBody?.();
  };
  let eof = false;
  const step = async (): Promise<boolean> => {
    const { value, done } = await reader.read();
    if (done) {
      eof = true;
      return false;
    }
    const r = parser.execute(Buffer.from(value.buffer, value.byteOffset, value.byteLength));
    if (r instanceof Error) throw r;
    return true;
  };
  try {
    for (;;) {
      while (heads.length === 0) if (!(await step())) return;
      const head = heads.shift()!;
      bodyDone = false;
      const headers = new Headers();
      for (let i = 0; i + 1 < head.headers.length; i += 2) headers.append(head.headers[i]!, head.headers[i + 1]!);
      const hasBody = headers.has("content-length") ? headers.get("content-length") !== "0" : headers.has("transfer-encoding");
      let body: ReadableStream<Uint8Array> | null = null;
      if (hasBody) {
        body = new ReadableStream<Uint8Array>({
          start(c) {
            bodyCtl = c;
          },
          async pull(c) {
            while (!bodyDone && (c.desiredSize ?? 1) > 0) {
              if (!(await step())) break;
              if (bodyDone) break;
              if ((c.desiredSize ?? 1) <= 0) break;
            }
          },
        }, { highWaterMark: 65536, size: (c) => c.byteLength });
      }
      const req = new Request(`https://${headers.get("host") ?? "localhost"}${head.url}`, {
        method: head.method,
        headers,
        body,
        duplex: "half",
      } as RequestInit);
      const res = await fetch(req);
      let text = `HTTP/1.1 ${res.status} ${res.statusText || "OK"}\r\n`;
      res.headers.forEach((v, k) => (text += `${k}: ${v}\r\n`));
      const length = res.headers.get("content-length");
      const chunked = res.body !== null && length === null;
      if (chunked) text += "transfer-encoding: chunked\r\n";
      else if (res.body === null) text += "content-length: 0\r\n";
      if (!head.keepAlive) text += "connection: close\r\n";
      await writer.write(enc.encode(`${text}\r\n`));
      if (res.body) {
        for await (const chunk of res.body) {
          if (chunked) await writer.write(enc.encode(`${chunk.byteLength.toString(16)}\r\n`));
          await writer.write(chunk);
          if (chunked) await writer.write(enc.encode("\r\n"));
        }
        if (chunked) await writer.write(enc.encode("0\r\n\r\n"));
      }
      // Drain an unread request body before the next request.
      while (hasBody && !bodyDone && !eof) await step();
      if (!head.keepAlive) break;
    }
  } catch {
    await writer.write(enc.encode("HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")).catch(() => {});
  }
  await writer.close().catch(() => {});
}
