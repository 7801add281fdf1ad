/**
 * External PSK lookup by identity — the s2n guide's `user_lookup_identity_db`
 * — behind a small interface, plus the selection callback that uses it.
 *
 * @module
 */
import { constantTimeEqual } from "../crypto/constant_time.ts";
import type { Psk } from "./external_psk.ts";
import type { PskSelectionCallback } from "./offered.ts";

/** Where a server finds external PSKs by identity (memory, file, Redis…). */
export interface PskStore {
  /** The PSK with this identity, or undefined. A failing store should reject. */
  lookup(identity: Uint8Array): Promise<Psk | undefined>;
}

/** An in-memory PSK store (lookups compare identities in constant time). */
export class MemoryPskStore implements PskStore {
  #psks: Psk[];

  /** Create a store holding `psks`. */
  constructor(psks: readonly Psk[] = []) {
    this.#psks = [...psks];
  }

  /** Add or replace (by identity) a PSK. */
  set(psk: Psk): void {
    const id = psk.identity;
    this.#psks = this.#psks.filter((p) => !constantTimeEqual(p.identity, id));
    this.#psks.push(psk);
  }

  /** Number of PSKs held. */
  get size(): number {
    return this.#psks.length;
  }

  /** See {@link PskStore.lookup}. */
  lookup(identity: Uint8Array): Promise<Psk | undefined> {
    let found: Psk | undefined;
    for (const p of this.#psks) if (constantTimeEqual(p.identity, identity) && !found) found = p;
    return Promise.resolve(found);
  }
}

/**
 * A selection callback that chooses the first offered identity the store
 * knows (the s2n guide's example callback). Store failures choose nothing:
 * the handshake then fails with handshake_failure instead of crashing.
 */
export function pskSelectionFromStore(store: PskStore, onError?: (e: unknown) => void): PskSelectionCallback {
  return async (list) => {
    while (list.hasNext()) {
      const offered = list.next();
      let psk: Psk | undefined;
      try {
        psk = await store.lookup(offered.identity);
      } catch (e) {
        onError?.(e);
        return;
      }
      if (psk) {
        list.choose(offered, psk);
        return;
      }
    }
  };
}
