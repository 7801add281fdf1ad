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
  type Message = { method: string; url: string; headers: string[]; keepAlive: boolean; chunks: Uint8Array[]; complete: boolean };
  const heads: Message[] = [];
  let current: Message | undefined;
  parser[HTTPParser.kOnHeadersComplete] = (info) => {
    current = {
      method: HTTPParser.methods[info.method]!,
      url: info.url,
      headers: info.headers,
      keepAlive: info.shouldKeepAlive,
      chunks: [],
      complete: false,
    };
    heads.push(current);
  };
  parser[HTTPParser.kOnBody] = (chunk, offset, length) => {
    current?.chunks.push(new Uint8Array(chunk.buffer, chunk.byteOffset + offset, length).slice());
  };
  parser[HTTPParser.kOnMessageComplete] = () => {
    if (current) current.complete = true;
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
      const headers = new Headers();
      for (let i = 0; i + 1 < head.headers.length; i += 2) headers.append(head.headers[i]!, head.headers[i + 1]!);
      const hasBody = headers.has("content-length") ? headers.get("content-length") !== "0" : headers.has("transfer-encoding");
      let body: ReadableStream<Uint8Array> | null = null;
      if (hasBody) {
        body = new ReadableStream<Uint8Array>({
          async pull(c) {
            while (head.chunks.length === 0 && !head.complete) if (!(await step())) break;
            for (const chunk of head.chunks) c.enqueue(chunk);
            head.chunks = [];
            if (head.complete || eof) c.close();
          },
        });
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
        const out = res.body.getReader();
        for (;;) {
          const { value: chunk, done } = await out.read();
          if (done) break;
          if (chunked) await writer.write(enc.encode(`${chunk.byteLength.toString(16)}\r\n`));
          await writer.write(chunk);
          if (chunked) await writer.write(enc.encode("\r\n"));
        }
        if (chunked) await writer.write(enc.encode("0\r\n\r\n"));
      }
      // Drain an unread request body before the next request.
      while (!head.complete && !eof) {
        await step();
        head.chunks = [];
      }
      if (!head.keepAlive) break;
    }
  } catch {
    await writer.write(enc.encode("HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")).catch(() => {});
  }
  await writer.close().catch(() => {});
}
