/**
 * Parsed certificates kept by their exact DER bytes, so a client that meets
 * the same server chain on every handshake (or a server that meets the same
 * client certificates) parses each certificate once. Parsing (PKI.js over
 * asn1js) was 55% of a certificate handshake pair's CPU time in a profile
 * (`bun --cpu-prof-md`, ECDSA P-256 chain, in memory); signature checks were
 * 1.2%. Only parsing is cached: a pure function of the bytes. Path
 * validation, validity periods, names and signatures are checked on every
 * handshake as before.
 *
 * A hit needs the same length, the same 32-bit FNV-1a hash and then
 * byte-for-byte equality, so a colliding certificate is parsed, never
 * confused with another. The cache is bounded (least recently used entry
 * out first); certificates that fail to parse are not kept. It lives on the
 * `x509()` strategy object, i.e. per configuration/context, never in module
 * state.
 *
 * @module
 */
import { bytesEqual } from "./bytes.ts";
import { type ParsedCertificate, parseCertificate } from "./certificate.ts";

/** Entries kept by default: a few server chains and client certificates. */
export const DEFAULT_PARSE_CACHE_ENTRIES = 64;

/** FNV-1a over the bytes (a bucket key: equality is checked on the bytes). */
function fnv1a(bytes: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193);
  return h >>> 0;
}

/** A bounded, least-recently-used cache of {@link parseCertificate} results. */
export class CertificateParseCache {
  readonly #max: number;
  /** Key `length:hash` → the certificates in that bucket (almost always one). Map order = recency. */
  readonly #entries = new Map<string, ParsedCertificate[]>();
  #size = 0;

  /** A cache holding at most `max` parsed certificates (0 disables it). */
  constructor(max: number = DEFAULT_PARSE_CACHE_ENTRIES) {
    this.#max = max;
  }

  /** Certificates held now. */
  get size(): number {
    return this.#size;
  }

  /**
   * The parsed certificate of `der`: from the cache when these exact bytes
   * were parsed before, otherwise parsed (throwing as
   * {@link parseCertificate} does) and kept. Callers must not mutate the
   * result: it is shared by every connection of the configuration.
   */
  parse(der: Uint8Array): ParsedCertificate {
    if (this.#max <= 0) return parseCertificate(der);
    const key = `${der.length}:${fnv1a(der)}`;
    const bucket = this.#entries.get(key);
    const hit = bucket?.find((c) => bytesEqual(c.der, der));
    if (bucket && hit) {
      this.#entries.delete(key); // move to the most recent end
      this.#entries.set(key, bucket);
      return hit;
    }
    const parsed = parseCertificate(der);
    if (bucket) {
      bucket.push(parsed);
      this.#entries.delete(key);
      this.#entries.set(key, bucket);
    } else {
      this.#entries.set(key, [parsed]);
    }
    this.#size++;
    while (this.#size > this.#max) {
      const [oldestKey, oldest] = this.#entries.entries().next().value!;
      oldest.shift();
      this.#size--;
      if (oldest.length === 0) this.#entries.delete(oldestKey);
    }
    return parsed;
  }
}
