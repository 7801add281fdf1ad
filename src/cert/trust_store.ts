/**
 * Trust anchors: the certificates a client (or a server verifying client
 * certificates) accepts as the end of a chain. Anchors come from PEM text
 * (a CA bundle), DER bytes, or both; the system store loader lives in
 * `system_store.ts` (it reads files, so it is not part of the sans-IO core).
 *
 * @module
 */
import { bytesEqual } from "./bytes.ts";
import { type ParsedCertificate, parseCertificate } from "./certificate.ts";
import { certificatesFrom } from "./pem.ts";

function key(subjectDer: Uint8Array): string {
  let s = "";
  for (const b of subjectDer) s += b.toString(16).padStart(2, "0");
  return s;
}

/** A set of trust anchors indexed by subject name. */
export class TrustStore {
  #bySubject = new Map<string, ParsedCertificate[]>();
  #count = 0;
  /** Certificates that failed to parse while loading (skipped, counted for diagnostics). */
  skipped = 0;

  /**
   * Anchors from PEM text, DER bytes, or a list of either. A bundle's
   * unparsable entries are skipped (counted in {@link TrustStore.skipped}).
   */
  static from(input: string | Uint8Array | readonly (string | Uint8Array)[]): TrustStore {
    const store = new TrustStore();
    for (const der of certificatesFrom(input)) store.#tryAdd(der);
    return store;
  }

  #tryAdd(der: Uint8Array): void {
    try {
      this.add(der);
    } catch {
      this.skipped++;
    }
  }

  /** Add one DER certificate as an anchor (throws `bad_certificate` if it does not parse). */
  add(der: Uint8Array): void {
    const cert = parseCertificate(der);
    const k = key(cert.subjectDer);
    const list = this.#bySubject.get(k) ?? [];
    if (list.some((c) => bytesEqual(c.der, cert.der))) return;
    list.push(cert);
    this.#bySubject.set(k, list);
    this.#count++;
  }

  /** Number of anchors. */
  get size(): number {
    return this.#count;
  }

  /** Anchors whose subject equals `nameDer` (candidate issuers). */
  bySubject(nameDer: Uint8Array): readonly ParsedCertificate[] {
    return this.#bySubject.get(key(nameDer)) ?? [];
  }

  /** Whether this exact certificate is an anchor. */
  contains(der: Uint8Array): boolean {
    const cert = parseCertificate(der);
    return this.bySubject(cert.subjectDer).some((c) => bytesEqual(c.der, der));
  }

  /** Every anchor. */
  all(): ParsedCertificate[] {
    return [...this.#bySubject.values()].flat();
  }
}
