/**
 * Recognise the common ways an external PSK secret ends up with far less
 * entropy than its length suggests (RFC 8446 §2.2 note; RFC 9257 §6: a PSK
 * derived from a password falls to an offline dictionary attack on the
 * binder, which an eavesdropper can check guesses against).
 *
 * Three mistakes, checked in this order:
 * - printable text: a password or passphrase, or a hex/base64 string that
 *   was passed as text instead of being decoded;
 * - a repeated pattern (a period of at most half the length, e.g. 32 zero
 *   bytes) or an arithmetic run (00 01 02 …, i*37+11 …);
 * - too few distinct byte values, or one value far too frequent, for the
 *   length (a statistical test on the byte histogram).
 *
 * False-positive rate on uniformly random secrets of n bytes (n ≥ 16):
 * printable text (0x20–0x7e, TAB, LF, CR: 98 of 256 values) is
 * (98/256)^n, about 2.1e-7 at n = 16, 4.5e-14 at n = 32 and 2e-20 at
 * n = 48; a repeated pattern or arithmetic run is at most n·256^-(n/2),
 * below 1e-17; each statistical test refuses only when the observed figure
 * has probability below 2^-40 (≈ 9e-13) under randomness. Secrets shorter
 * than 16 bytes are not checked: they need `allowShortSecret`, an explicit
 * acceptance of a weak secret already.
 *
 * @module
 */

/** What is wrong with a secret, or undefined when nothing was recognised. */
export interface SecretWeakness {
  /** Stable code for the TlsError. */
  code:
    | "psk_secret_hex_text"
    | "psk_secret_base64_text"
    | "psk_secret_printable"
    | "psk_secret_repeated"
    | "psk_secret_low_entropy";
  /** The likely cause, in words; never contains the secret. */
  cause: string;
}

/** Secrets shorter than this are not analysed (they need allowShortSecret). */
const MIN_ANALYSED = 16;
/** Only the first bytes are analysed: real secrets are 16..64 bytes. */
const MAX_ANALYSED = 1024;
/** A statistical test refuses when the observation has probability below this under randomness. */
const TAIL = 2 ** -40;

function isPrintable(b: number): boolean {
  return (b >= 0x20 && b <= 0x7e) || b === 0x09 || b === 0x0a || b === 0x0d;
}

/**
 * Check a secret for the mistakes listed in the module documentation.
 * Runs in time linear in min(length, 1024) (times 256 for the histogram test).
 */
export function secretWeakness(secret: Uint8Array): SecretWeakness | undefined {
  if (secret.length < MIN_ANALYSED) return undefined;
  const s = secret.length > MAX_ANALYSED ? secret.subarray(0, MAX_ANALYSED) : secret;
  const n = s.length;

  if (s.every(isPrintable)) {
    const text = new TextDecoder().decode(s).trim();
    if (/^(?:0x)?[0-9a-fA-F]+$/.test(text)) {
      return {
        code: "psk_secret_hex_text",
        cause: `the secret is ${n} bytes of hex digits: a hex string passed as text, not decoded (decode it, e.g. Buffer.from(hex, "hex"); its real strength is half its length)`,
      };
    }
    // Base64 of random bytes mixes cases and digits (or ends in padding); a
    // word-only passphrase does not, and is reported as text below.
    if (/^[A-Za-z0-9+/_-]+={0,2}$/.test(text) && (/=$/.test(text) || (/[A-Z]/.test(text) && /[a-z]/.test(text) && /[0-9]/.test(text)))) {
      return {
        code: "psk_secret_base64_text",
        cause: `the secret is ${n} bytes of base64 characters: a base64 string passed as text, not decoded (decode it first)`,
      };
    }
    return {
      code: "psk_secret_printable",
      cause: `the secret is ${n} bytes of printable text: it looks like a password or passphrase, open to an offline dictionary attack on the binder (use random bytes, e.g. crypto.getRandomValues(new Uint8Array(32)))`,
    };
  }

  const period = smallestPeriod(s);
  if (period !== undefined) {
    return {
      code: "psk_secret_repeated",
      cause: `the secret is a ${period}-byte pattern repeated over ${n} bytes (e.g. all zeros); it has at most ${period * 8} bits of entropy`,
    };
  }
  if (isArithmeticRun(s)) {
    return {
      code: "psk_secret_repeated",
      cause: `the secret is a counter-like run (each byte the previous plus a constant): it has almost no entropy`,
    };
  }

  const counts = new Uint32Array(256);
  let distinct = 0;
  let most = 0;
  for (const b of s) {
    const c = counts[b]! + 1;
    counts[b] = c;
    if (c === 1) distinct++;
    if (c > most) most = c;
  }
  if (probDistinctAtMost(n, distinct) < TAIL || probSomeValueAtLeast(n, most) < TAIL) {
    return {
      code: "psk_secret_low_entropy",
      cause: `the secret's ${n} bytes use only ${distinct} distinct values (one of them ${most} times): far too little entropy for its length (not random bytes)`,
    };
  }
  return undefined;
}

/** The smallest p ≤ n/2 with s[i] === s[i-p] for all i ≥ p, if any. */
function smallestPeriod(s: Uint8Array): number | undefined {
  const n = s.length;
  for (let p = 1; p <= n >> 1; p++) {
    let i = p;
    while (i < n && s[i] === s[i - p]) i++;
    if (i === n) return p;
  }
  return undefined;
}

/** Whether s[i] - s[i-1] (mod 256) is the same for every i. */
function isArithmeticRun(s: Uint8Array): boolean {
  const d = (s[1]! - s[0]! + 256) & 0xff;
  for (let i = 2; i < s.length; i++) if (((s[i]! - s[i - 1]! + 256) & 0xff) !== d) return false;
  return true;
}

/** P(n uniform bytes take at most k distinct values): a Markov chain on the count of distinct values. */
export function probDistinctAtMost(n: number, k: number): number {
  let dist = new Float64Array(Math.min(n, 256) + 1);
  dist[0] = 1;
  for (let i = 0; i < n; i++) {
    const next = new Float64Array(dist.length);
    for (let d = 0; d < dist.length; d++) {
      const p = dist[d]!;
      if (p === 0) continue;
      next[d] = next[d]! + p * (d / 256);
      if (d + 1 < dist.length) next[d + 1] = next[d + 1]! + p * ((256 - d) / 256);
    }
    dist = next;
  }
  let sum = 0;
  for (let d = 0; d <= Math.min(k, dist.length - 1); d++) sum += dist[d]!;
  return sum;
}

/** Union bound on P(some byte value occurs at least m times in n uniform bytes): 256·P(Bin(n, 1/256) ≥ m). */
export function probSomeValueAtLeast(n: number, m: number): number {
  if (m <= 0) return 1;
  // log of the binomial pmf, summed from m to n.
  const lq = Math.log(255 / 256);
  const lp = Math.log(1 / 256);
  let logC = 0; // log C(n, j), built up incrementally
  let tail = 0;
  for (let j = 1; j <= n; j++) {
    logC += Math.log(n - j + 1) - Math.log(j);
    if (j >= m) tail += Math.exp(logC + j * lp + (n - j) * lq);
  }
  return Math.min(1, 256 * tail);
}
