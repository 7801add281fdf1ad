/**
 * A {@link PskStore} backed by a PSK file in GnuTLS `psktool` format
 * (`identity:hex` lines; the file `gnutls-serv --pskpasswd` reads), through
 * `node:fs` (Bun, Deno and Node all provide it).
 *
 * The file is read when the store is created. {@link FilePskStore.reload}
 * re-reads it; with `checkIntervalMs` a lookup also re-reads it when its
 * modification time or size changed (checked at most once per interval), so
 * keys can be added or revoked without a restart. A reload that fails
 * (unreadable file, bad line) keeps the PSKs already loaded and is reported
 * to `onError`; its message never contains a secret.
 *
 * @example
 * ```ts ignore
 * import { FilePskStore } from "./file_store.ts";
 * import { pskSelectionFromStore } from "./psk_store.ts";
 *
 * const store = new FilePskStore("/etc/psk-tls/keys.psk", { checkIntervalMs: 5000 });
 * const serverConfig = { pskSelection: pskSelectionFromStore(store) };
 * ```
 *
 * @module
 */
import { readFileSync, statSync } from "node:fs";
import { constantTimeEqual } from "../crypto/constant_time.ts";
import type { Psk, PskHash } from "./external_psk.ts";
import { parsePskFile, pskEntriesToPsks } from "./psk_file.ts";
import type { PskStore } from "./psk_store.ts";

/** Options of {@link FilePskStore}. */
export interface FilePskStoreOptions {
  /** Hash of every PSK in the file. Default `"SHA-256"`. */
  hash?: PskHash;
  /** Accept secrets shorter than 16 bytes (legacy peers, tests). */
  allowShortSecret?: boolean;
  /** Accept low-entropy secrets (see `PskOptions.allowLowEntropySecret`); tests and legacy only. */
  allowLowEntropySecret?: boolean;
  /** Re-read the file on lookup when it changed, checking at most this often (ms). Default: never (call `reload()`). */
  checkIntervalMs?: number;
  /** Told when a reload fails (the previous PSKs stay in use). */
  onError?: (error: Error) => void;
  /** Clock in ms. Default `Date.now`. */
  now?: () => number;
}

/** A PSK store reading a psktool file; see the module documentation. */
export class FilePskStore implements PskStore {
  readonly #path: string;
  readonly #options: FilePskStoreOptions;
  #psks: Psk[] = [];
  #stamp = "";
  #lastCheck = 0;

  /**
   * Read `path` now. Throws (an Error naming the file and line, never a
   * secret) when the first read fails: a store that starts empty by mistake
   * would reject every client.
   */
  constructor(path: string, options: FilePskStoreOptions = {}) {
    this.#path = path;
    this.#options = options;
    this.reload();
  }

  /** The file this store reads. */
  get path(): string {
    return this.#path;
  }

  /** Number of PSKs loaded. */
  get size(): number {
    return this.#psks.length;
  }

  /**
   * Re-read the file now. On failure the previous PSKs are kept, and the
   * error is thrown (the lookup path reports it to `onError` instead).
   */
  reload(): void {
    let text: string;
    let stamp: string;
    try {
      const st = statSync(this.#path);
      stamp = `${st.mtimeMs}:${st.size}`;
      text = readFileSync(this.#path, "utf8");
    } catch (e) {
      throw new Error(`PSK file ${this.#path}: cannot read: ${(e as Error).message}`);
    }
    let psks: Psk[];
    try {
      psks = pskEntriesToPsks(parsePskFile(text, this.#path), {
        hash: this.#options.hash ?? "SHA-256",
        ...(this.#options.allowShortSecret ? { allowShortSecret: true } : {}),
        ...(this.#options.allowLowEntropySecret ? { allowLowEntropySecret: true } : {}),
      });
    } catch (e) {
      const msg = (e as Error).message;
      throw new Error(msg.startsWith(this.#path) ? msg : `PSK file ${this.#path}: ${msg}`);
    }
    // Old PSK objects are not wiped: a handshake in flight may still hold one.
    this.#psks = psks;
    this.#stamp = stamp;
  }

  #maybeReload(): void {
    const every = this.#options.checkIntervalMs;
    if (every === undefined) return;
    const now = (this.#options.now ?? Date.now)();
    if (now - this.#lastCheck < every) return;
    this.#lastCheck = now;
    try {
      const st = statSync(this.#path);
      if (`${st.mtimeMs}:${st.size}` === this.#stamp) return;
      this.reload();
    } catch (e) {
      this.#options.onError?.(e instanceof Error ? e : new Error(String(e)));
    }
  }

  /** See {@link PskStore.lookup}. Identities are compared in constant time. */
  lookup(identity: Uint8Array): Promise<Psk | undefined> {
    this.#maybeReload();
    let found: Psk | undefined;
    for (const p of this.#psks) if (constantTimeEqual(p.identity, identity) && !found) found = p;
    return Promise.resolve(found);
  }

  /** Never show key material. */
  toJSON(): { path: string; psks: number } {
    return { path: this.#path, psks: this.#psks.length };
  }
}
