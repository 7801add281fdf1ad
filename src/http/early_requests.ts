/**
 * Which requests arrived in 0-RTT early data (RFC 8470 §5): the TLS layer
 * hands the accepted early bytes over as one block, and `node:http` parses
 * them together with the 1-RTT bytes that follow, so the HTTP layer counts
 * the requests that *begin* inside the early block with a maintained parser
 * (http-parser-js) and marks that many leading requests of the connection.
 * A request only partly in early data is early too (it may be replayed).
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { HTTPParser } from "http-parser-js";

/**
 * How many HTTP/1.1 requests begin within `early` (complete heads, plus one
 * for a head still incomplete at its end, plus one if the bytes are
 * malformed: the runtime's parser rejects that request later anyway).
 */
export function countEarlyRequests(early: Uint8Array): number {
  if (early.length === 0) return 0;
  const parser = new HTTPParser(HTTPParser.REQUEST);
  let heads = 0;
  parser[HTTPParser.kOnHeadersComplete] = () => {
    heads++;
  };
  // Bodies, trailers and completion callbacks are not needed for counting.
  parser[HTTPParser.kOnBody] = () => {};
  parser[HTTPParser.kOnMessageComplete] = () => {};
  const result = parser.execute(Buffer.from(early.buffer, early.byteOffset, early.byteLength));
  if (result instanceof Error) return heads + 1;
  const state = (parser as unknown as { state: string; line: string }).state;
  const partialLine = (parser as unknown as { line: string }).line;
  if (state === "HEADER" || (state === "REQUEST_LINE" && partialLine !== "")) return heads + 1;
  return heads;
}
