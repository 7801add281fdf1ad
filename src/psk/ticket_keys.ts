/**
 * Session-ticket keys with rotation, as s2n's session ticket keys: a key
 * encrypts new tickets during its encrypt window and still decrypts them
 * during a longer decrypt window, so servers stay stateless and a fleet that
 * shares the store resumes each other's tickets.
 *
 * @module
 */

/** One ticket-encryption key. `key` is secret: never logged. */
export interface TicketKey {
  /** Public key name carried in each ticket (16 bytes). */
  readonly id: Uint8Array;
  /** 32-byte AES-256-GCM key. */
  readonly key: Uint8Array;
  /** When the key was introduced (ms since epoch). */
  readonly createdAt: number;
}

/** Where ticket keys live: memory for one process, Redis for a fleet. */
export interface TicketKeyStore {
  /** The key to encrypt new tickets with (rotating when its encrypt window ended). */
  encryptionKey(): Promise<TicketKey>;
  /** The key named `id` if it may still decrypt, else undefined. */
  decryptionKey(id: Uint8Array): Promise<TicketKey | undefined>;
}

/** Rotation windows. */
export interface TicketKeyRotation {
  /** How long a key encrypts new tickets, ms. Default 1 hour. */
  encryptWindowMs?: number;
  /** How long a key decrypts after it was introduced, ms; at least encryptWindowMs + ticket lifetime. Default 8 days. */
  decryptWindowMs?: number;
  /** Clock. Default `Date.now`. */
  now?: () => number;
  /** Randomness for new keys. Default `crypto.getRandomValues`. */
  random?: (n: number) => Uint8Array;
}

function hexId(b: Uint8Array): string {
  let s = "";
  for (const x of b) s += x.toString(16).padStart(2, "0");
  return s;
}

/** An in-process ticket key store with automatic rotation. */
export class MemoryTicketKeyStore implements TicketKeyStore {
  #keys: TicketKey[] = [];
  #encryptWindow: number;
  #decryptWindow: number;
  #now: () => number;
  #random: (n: number) => Uint8Array;

  /** Create a store; the first key is made on first use. */
  constructor(options: TicketKeyRotation = {}) {
    this.#encryptWindow = options.encryptWindowMs ?? 3_600_000;
    this.#decryptWindow = options.decryptWindowMs ?? 8 * 86_400_000;
    if (this.#decryptWindow < this.#encryptWindow) throw new RangeError("decryptWindowMs must be >= encryptWindowMs");
    this.#now = options.now ?? (() => Date.now());
    this.#random = options.random ?? ((n) => crypto.getRandomValues(new Uint8Array(n)));
  }

  /** Add a key (e.g. distributed by an operator); it becomes the encryption key. */
  add(key: TicketKey): void {
    this.#keys.push(key);
  }

  /** Start a new encryption key now. */
  rotate(): TicketKey {
    const k: TicketKey = { id: this.#random(16), key: this.#random(32), createdAt: this.#now() };
    this.#keys.push(k);
    return k;
  }

  /** See {@link TicketKeyStore.encryptionKey}. */
  encryptionKey(): Promise<TicketKey> {
    const now = this.#now();
    this.#keys = this.#keys.filter((k) => now - k.createdAt < this.#decryptWindow);
    const last = this.#keys[this.#keys.length - 1];
    return Promise.resolve(last && now - last.createdAt < this.#encryptWindow ? last : this.rotate());
  }

  /** See {@link TicketKeyStore.decryptionKey}. */
  decryptionKey(id: Uint8Array): Promise<TicketKey | undefined> {
    const now = this.#now();
    const want = hexId(id);
    return Promise.resolve(this.#keys.find((k) => hexId(k.id) === want && now - k.createdAt < this.#decryptWindow));
  }

  /** Never show key material. */
  toJSON(): { keys: number } {
    return { keys: this.#keys.length };
  }
}
