/**
 * The main thread's turn budget: the pool's answers and the crypto a pool
 * provider runs inline are both handed out here, so that no macrotask of
 * theirs holds the event loop much longer than the budget.
 *
 * A turn is the stretch of main-thread work between two marker callbacks
 * (`nextTurn`, i.e. `setImmediate`: it runs after the microtasks of the
 * macrotask under way and after the timers and I/O that are due). Work asks
 * {@link Pacer.run}: while the turn is within its budget it runs at once,
 * otherwise (or while earlier work waits) it waits in a FIFO queue and is
 * released in a later turn. Each turn releases as many waiting items as fit
 * the budget at the measured cost per item, continuations included (what
 * ran between two markers over the items released): the estimate rises at
 * once and falls slowly (costs vary tenfold between items, and an overshoot
 * is a long turn).
 *
 * Why: 200 concurrent handshakes inline are one unbroken chain of promise
 * jobs (each handshake's continuation calls the provider again at once), so
 * a timer waits for all of them (1–3.6 s here). Every provider call is a
 * point where that chain can be cut.
 *
 * @module
 */
import { nextTurn } from "./protocol.ts";

/**
 * At most this many items per turn: an item's cost (its continuations) ranges
 * from ~20 µs to over 500 µs, and a run of cheap ones drags the estimate
 * down (released 60–76 items of an estimated 26–32 µs, a turn took 6–11 ms).
 */
const MAX_PER_TURN = 24;

/** Counters of {@link Pacer.stats}. */
export interface PacerStats {
  /** Calls that waited for a later turn. */
  readonly deferred: number;
  /** Turns (marker callbacks) so far. */
  readonly turns: number;
}

/** One main-thread budget per turn, shared by the pool's answers and the inline crypto of its providers. */
export class Pacer {
  /** Budget per turn, ms. */
  readonly budgetMs: number;
  #queue: (() => void)[] = [];
  #at = 0;
  /** Start of the turn under way (meaningful while a marker is scheduled). */
  #turnStart = 0;
  #marker = false;
  #lastStart = 0;
  #lastCount = 0;
  /** Estimated main-thread µs per released item, its continuations included. */
  #perItemUs = 100;
  #deferred = 0;
  #turns = 0;

  /** A pacer with `budgetMs` per turn (default 2). */
  constructor(budgetMs = 2) {
    this.budgetMs = budgetMs;
  }

  /** Calls deferred and turns so far. */
  get stats(): PacerStats {
    return { deferred: this.#deferred, turns: this.#turns };
  }

  /** Items waiting for a turn. */
  get waiting(): number {
    return this.#queue.length - this.#at;
  }

  /** Whether this turn has used its budget (opens a turn when none is under way). */
  spent(): boolean {
    const now = performance.now();
    if (!this.#marker) {
      this.#turnStart = now;
      this.#schedule();
      return false;
    }
    return now - this.#turnStart >= this.budgetMs;
  }

  /**
   * Run `f` now if this turn has budget left and nothing waits, else in a
   * later turn (in order). `f`'s synchronous part runs inside the turn that
   * releases it; its result settles the returned promise.
   */
  run<T>(f: () => Promise<T>): Promise<T> {
    if (this.#at === this.#queue.length && !this.spent()) return f();
    this.#deferred++;
    return new Promise<T>((resolve, reject) => {
      this.defer(() => {
        try {
          f().then(resolve, reject);
        } catch (e) {
          reject(e);
        }
      });
    });
  }

  /** Call `f` in a later turn, after every item queued before it. */
  defer(f: () => void): void {
    this.#queue.push(f);
    if (!this.#marker) {
      this.#turnStart = performance.now();
      this.#schedule();
    }
  }

  #schedule(): void {
    this.#marker = true;
    this.#lastCount = 0;
    nextTurn(this.#turn);
  }

  readonly #turn = (): void => {
    const now = performance.now();
    this.#turns++;
    if (this.#lastCount > 0) {
      const per = ((now - this.#lastStart) * 1000) / this.#lastCount;
      this.#perItemUs = per > this.#perItemUs ? per : this.#perItemUs + (per - this.#perItemUs) / 32;
    }
    this.#turnStart = now;
    this.#lastStart = now;
    const q = this.#queue;
    const n = Math.min(q.length - this.#at, MAX_PER_TURN, Math.max(1, Math.floor((this.budgetMs * 1000) / this.#perItemUs)));
    this.#lastCount = n;
    for (let i = 0; i < n; i++) q[this.#at++]!();
    if (this.#at >= q.length) {
      this.#queue = [];
      this.#at = 0;
    }
    if (this.#queue.length > 0 || n > 0) {
      // Another marker: the released items' continuations belong to this turn, and the next
      // turn measures them (or, with nothing left, closes the turn).
      nextTurn(this.#turn);
    } else this.#marker = false;
  };
}
