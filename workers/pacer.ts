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
 * released in a later turn. Each turn releases waiting items while half the
 * budget lasts (at most {@link MAX_PER_TURN}); their continuations then run,
 * and the provider calls they make run at once until the turn's budget is
 * spent. (A learned cost per released item, tried first, cannot work: the
 * calls run at once within a turn fill whatever budget the released items
 * leave, so every count of items looks right, and one preempted turn drove
 * it to 3 items per turn: 30 000 deferrals in 5 s, pool(auto) at 0.1–0.6× of
 * auto's handshakes.)
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
 * At most this many waiting items released per turn: an item's synchronous
 * part is often tiny (resolving an answer) while its continuations, which
 * run after the release loop, cost 20–500 µs until their next provider call.
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

  /** Whether a call now would run at once (nothing waits and the turn has budget left). */
  ready(): boolean {
    return this.#at === this.#queue.length && !this.spent();
  }

  /**
   * Run `f` now if this turn has budget left and nothing waits, else in a
   * later turn (in order). `f`'s synchronous part runs inside the turn that
   * releases it; its result settles the returned promise.
   */
  run<T>(f: () => Promise<T>): Promise<T> {
    if (this.ready()) return f();
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
    nextTurn(this.#turn);
  }

  readonly #turn = (): void => {
    const start = performance.now();
    this.#turns++;
    this.#turnStart = start;
    // Release waiting items while the first half of the budget lasts (their synchronous parts),
    // at most MAX_PER_TURN: their continuations run after this callback, and the provider calls
    // they make run at once while the turn has budget left, then wait for the next turn.
    const q = this.#queue;
    const half = this.budgetMs / 2;
    let n = 0;
    while (this.#at < q.length && n < MAX_PER_TURN) {
      q[this.#at++]!();
      n++;
      if (performance.now() - start >= half) break;
    }
    if (this.#at >= q.length) {
      this.#queue = [];
      this.#at = 0;
    }
    // Another marker: it ends this turn (the released items' continuations belong to it) and
    // releases what waits by then; with nothing released and nothing waiting, the pacer idles.
    if (n > 0 || this.#queue.length > 0) nextTurn(this.#turn);
    else this.#marker = false;
  };
}
