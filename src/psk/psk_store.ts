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
 * knows (the s2n guide's example callback). Every offered identity is looked
 * up, in parallel, whatever is found: the time to refuse an identity does not
 * tell whether an earlier one exists. A store failure is reported and chooses
 * nothing: the handshake then fails instead of crashing.
 */
export function pskSelectionFromStore(store: PskStore, onError?: (e: unknown) => void): PskSelectionCallback {
  return pskSelectionFromStores([store], onError);
}

/**
 * A selection callback over several stores (e.g. PSKs configured locally,
 * then a Redis store): the first offered identity any store knows, the
 * earlier store winning. Every offered identity is looked up in every store,
 * in parallel, on every handshake, so the time to refuse an unknown identity
 * is the same whichever store holds which identity (no timing oracle on
 * identity existence through a fast local hit and a slow remote miss).
 * A failing store is reported to `onError` (once per handshake) and counts
 * as not knowing the identity; the other stores still answer.
 *
 * @example
 * ```ts ignore
 * config.pskSelection = pskSelectionFromStores([new MemoryPskStore(localPsks), new RedisPskStore(redis)]);
 * ```
 */
export function pskSelectionFromStores(stores: readonly PskStore[], onError?: (e: unknown) => void): PskSelectionCallback {
  return async (list) => {
    const offered = [...list.all];
    // allSettled: a failing store (Redis down) is reported and counts as "not found"; the other
    // stores still answer, so an outage of one never locks out identities another holds.
    const results = await Promise.all(offered.map((o) => Promise.allSettled(stores.map((s) => s.lookup(o.identity)))));
    let reported = false;
    for (let i = 0; i < offered.length; i++) {
      let psk: Psk | undefined;
      for (const r of results[i]!) {
        if (r.status === "rejected") {
          if (!reported) onError?.(r.reason);
          reported = true;
        } else if (!psk && r.value) psk = r.value;
      }
      if (psk) {
        list.choose(offered[i]!, psk);
        return;
      }
    }
  };
}
