/**
 * A counting TCP relay on 127.0.0.1: what each connection put on the wire,
 * as flights (runs of bytes in one direction), whichever stack is on
 * either end. Used once per case outside the timed loops.
 *
 * @module
 */
import * as net from "node:net";

/** One flight: direction and bytes. */
export interface Flight {
  /** "c" client → server, "s" server → client. */
  dir: "c" | "s";
  /** Bytes in the flight (TLS records, headers included). */
  bytes: number;
}

/** A running relay. */
export interface Relay {
  /** Port to connect to. */
  port: number;
  /** Flights of each connection, in accept order. */
  connections: Flight[][];
  /** Stop it. */
  close(): Promise<void>;
}

/** Relay 127.0.0.1:<ephemeral> to 127.0.0.1:`target`, recording flights. */
export function startRelay(target: number): Promise<Relay> {
  const connections: Flight[][] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const flights: Flight[] = [];
    connections.push(flights);
    const record = (dir: "c" | "s", n: number) => {
      const last = flights[flights.length - 1];
      if (last && last.dir === dir) last.bytes += n;
      else flights.push({ dir, bytes: n });
    };
    const upstream = net.connect(target, "127.0.0.1");
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on("close", () => sockets.delete(s));
      s.on("error", () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.on("data", (d: Buffer) => {
      record("c", d.length);
      upstream.write(d);
    });
    upstream.on("data", (d: Buffer) => {
      record("s", d.length);
      client.write(d);
    });
    client.on("end", () => upstream.end());
    upstream.on("end", () => client.end());
  });
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => {
      const addr = server.address() as net.AddressInfo;
      resolve({
        port: addr.port,
        connections,
        close: () =>
          new Promise<void>((done) => {
            for (const s of sockets) s.destroy();
            server.close(() => done());
          }),
      });
    });
  });
}

/** "C 517 → S 1234 → C 80" */
export function formatFlights(flights: readonly Flight[]): string {
  return flights.map((f) => `${f.dir.toUpperCase()} ${f.bytes}`).join(" → ");
}
