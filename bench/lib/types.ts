/**
 * Shared vocabulary of the benchmark runner (bench/run.ts) and its peer
 * processes (bench/peer.ts): what a server serves, what a client measures,
 * and the JSON rows the runner writes.
 *
 * @module
 */

/** Which TLS stack a peer uses: this library or the runtime's `node:tls`. */
export type Impl = "ours" | "native";

/** A JavaScript runtime the peers can run on. */
export type RuntimeName = "bun" | "deno" | "node";

/** Crypto providers of this library (src/crypto; `pool` = poolProvider over noble, `auto-pool` = over auto, both adaptive; workers.ts). */
/** `openssl`: `auto` with AES-GCM on the system libcrypto through FFI (auto's own choice on Deno; `--providers openssl` only when named). */
export type ProviderName = "noble" | "webcrypto" | "node" | "auto" | "pool" | "auto-pool" | "openssl";

/** Handshake kinds measured. */
export type HandshakeKind = "psk_ke" | "psk_dhe_ke" | "resumption" | "0rtt" | "cert";

/** Key exchange groups for psk_dhe_ke. */
export type BenchGroup = "x25519" | "p256" | "x25519mlkem768";

/** Certificate key types (the test PKI, test/fixtures/make_certs.sh). */
export type CertAlg = "ecdsa_p256" | "ed25519" | "rsa2048";

/** Cipher suites, by their short names in row names. */
export type SuiteShort = "aes_128_gcm" | "aes_256_gcm" | "chacha20_poly1305" | "aes_128_ccm" | "aes_128_ccm_8";

/** What a server does with each established connection. */
export type ServeMode =
  /** Echo the first chunk (or the 0-RTT data) back, then close. */
  | "echo"
  /** Send `recordSize`-byte writes until the peer goes away. */
  | "flood"
  /** Like flood, counting the connections whose writes block (a peer that never reads). */
  | "stall"
  /** Nothing: the connection stays idle until the peer closes it. */
  | "idle";

/** The TLS parameters of one side of a case. */
export interface TlsParams {
  /** Which stack. */
  impl: Impl;
  /** Handshake kind. */
  kind: HandshakeKind;
  /** Group for psk_dhe_ke / resumption / certificate handshakes. */
  group: BenchGroup;
  /** Certificate key type for `cert`. */
  cert: CertAlg;
  /** Cipher suite. */
  suite: SuiteShort;
  /** Crypto provider (ours only). */
  provider: ProviderName;
  /** Server only, ours only: run the server in this many `listenWorkers` workers instead of one `listen()`. */
  workers?: number;
}

/** Command to a peer process: one JSON line on its stdin. */
export type PeerCommand =
  | { op: "serve"; tls: TlsParams; mode: ServeMode; recordSize: number }
  | { op: "unserve"; id: number }
  | { op: "mark" }
  | { op: "stats"; gc: boolean }
  | {
    op: "handshakes";
    tls: TlsParams;
    port: number;
    durationMs: number;
    lanes: number;
    /** Stop after this many handshakes (the flight sample). */
    maxCount?: number;
  }
  | { op: "records"; tls: TlsParams; port: number; durationMs: number }
  | { op: "hold"; tls: TlsParams; port: number; count: number; read: boolean }
  | { op: "release" }
  | { op: "exit" };

/** Result of a `handshakes` command. */
export interface HandshakeResult {
  /** Completed handshakes (each: connect, handshake, 1-byte echo). */
  count: number;
  /** Wall time of the measurement, ms. */
  elapsedMs: number;
  /** Median latency (connect to echo), ms. */
  medianMs: number;
  /** 99th percentile latency, ms. */
  p99Ms: number;
  /** Client CPU time (user + system) over the measurement, µs. */
  cpuUs: number;
  /** How many of them were resumed (resumption / 0-RTT kinds). */
  resumed: number;
  /** How many had their 0-RTT data accepted. */
  early: number;
  /** Failed attempts. */
  errors: number;
  /** The first error's message, if any. */
  firstError?: string;
}

/** Result of a `records` command. */
export interface RecordsResult {
  /** Application bytes received in the timed window. */
  bytes: number;
  /** Length of the timed window, ms. */
  elapsedMs: number;
}

/** Result of a server's `stats` command. */
export interface ServerStats {
  /** CPU time since the last `mark`, µs. */
  cpuUs: number;
  /** Handshakes completed since the last `mark`. */
  handshakes: number;
  /** Resident set size, bytes. */
  rss: number;
  /** JS heap used, bytes. */
  heapUsed: number;
  /** Live connections on this peer's listeners. */
  connections: number;
  /** Connections whose writes are blocked on a peer that does not read. */
  stalled: number;
}

/** One row of the JSON output (stable names: see bench/README section in the main README). */
export interface BenchRow {
  /** Stable name, e.g. `handshake/psk_dhe_ke/x25519/c1`. */
  name: string;
  /** Unit of `value` and `anchor`. */
  unit: string;
  /** Median over the rounds, this library. */
  value: number;
  /** Median over the rounds, the native anchor (null when there is none). */
  anchor: number | null;
  /** Median of the per-round ratios value/anchor, oriented so that > 1 means this library is better. */
  ratio: number | null;
  /** Runtime this library ran on. */
  runtime: RuntimeName;
  /** Crypto provider of this library. */
  provider: ProviderName;
  /** Relative spread of `value` over the rounds: (max − min) / median. */
  spread: number;
  /** Whether a higher or a lower value is better (ratio = value / anchor either way). */
  better: "higher" | "lower";
  /** What the anchor is (e.g. `node:tls on node`). */
  anchorName?: string;
  /** Relative spread of the anchor. */
  anchorSpread?: number;
  /** Extra figures (latency, CPU, bytes per flight…). */
  extra?: Record<string, number | string>;
}
