/**
 * The offered-PSK list a server's selection callback walks (s2n:
 * `s2n_offered_psk_list_has_next` / `_next` / `_reread` / `_choose_psk`).
 *
 * @module
 */
import { usageError } from "../errors.ts";
import type { Psk } from "./external_psk.ts";

/** One identity the client offered (s2n: `s2n_offered_psk`). */
export interface OfferedPsk {
  /** Position in the client's list (what ServerHello's selected_identity names). */
  readonly index: number;
  /** The identity bytes as sent. */
  readonly identity: Uint8Array;
  /** The identity as UTF-8 text (lossy for binary identities). */
  readonly identityText: string;
  /** The obfuscated ticket age the client sent (0 for external PSKs). */
  readonly obfuscatedTicketAge: number;
}

/**
 * Iterator over the client's offered identities, plus the choice the
 * selection callback makes. Choosing nothing means "no PSK": a full
 * (certificate) handshake if the server has certificates, otherwise failure.
 */
export class OfferedPskList {
  readonly #items: readonly OfferedPsk[];
  readonly #lookup: (identity: Uint8Array) => Psk | undefined;
  #cursor = 0;
  #chosen: { offered: OfferedPsk; psk: Psk } | undefined;

  /** @internal Built by the server handshake. */
  constructor(items: readonly OfferedPsk[], lookup: (identity: Uint8Array) => Psk | undefined) {
    this.#items = items;
    this.#lookup = lookup;
  }

  /** All offered identities, in the client's order. */
  get all(): readonly OfferedPsk[] {
    return this.#items;
  }

  /** s2n `s2n_offered_psk_list_has_next`. */
  hasNext(): boolean {
    return this.#cursor < this.#items.length;
  }

  /** s2n `s2n_offered_psk_list_next`: the next offered identity. */
  next(): OfferedPsk {
    const item = this.#items[this.#cursor];
    if (!item) throw usageError("no_more_offered_psks", "offered PSK list exhausted; check hasNext() first");
    this.#cursor++;
    return item;
  }

  /** s2n `s2n_offered_psk_list_reread`: start again from the first identity. */
  reread(): void {
    this.#cursor = 0;
  }

  /** Iterate without moving the cursor. */
  [Symbol.iterator](): Iterator<OfferedPsk> {
    return this.#items[Symbol.iterator]();
  }

  /**
   * s2n `s2n_offered_psk_list_choose_psk`: use `offered` for this connection.
   * `psk` is the matching key, e.g. from an identity database (s2n's
   * `user_lookup_identity_db`); when omitted, the PSK is looked up among the
   * ones configured on the server. Passing `null` chooses none.
   */
  choose(offered: OfferedPsk | null, psk?: Psk): void {
    if (offered === null) {
      this.#chosen = undefined;
      return;
    }
    if (this.#items[offered.index] !== offered) {
      throw usageError("not_offered", "choose() takes an OfferedPsk from this list");
    }
    const key = psk ?? this.#lookup(offered.identity);
    if (!key) throw usageError("psk_not_configured", "chosen identity has no matching PSK on this server");
    this.#chosen = { offered, psk: key };
  }

  /** The current choice, if any. */
  get chosen(): { offered: OfferedPsk; psk: Psk } | undefined {
    return this.#chosen;
  }
}

/**
 * A server's PSK selection callback (s2n: `s2n_psk_selection_callback`).
 * Unlike s2n's it may be async (e.g. a database lookup). Call
 * `list.choose(...)` to pick one; return without choosing for none.
 */
export type PskSelectionCallback = (list: OfferedPskList) => void | Promise<void>;
