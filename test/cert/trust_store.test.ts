/** Trust stores: PEM bundles (unparsable entries skipped), DER, duplicates, and the system store adapter. */
import { describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { TrustStore } from "../../src/cert/trust_store.ts";
import { certificatesFrom, encodePem } from "../../src/cert/pem.ts";
import { parseCertificate } from "../../src/cert/certificate.ts";
import { SYSTEM_BUNDLES, systemTrustStore } from "../../src/cert/system_store.ts";
import { testPki } from "../fixtures/certs.ts";

const pki = testPki();

describe("TrustStore", () => {
  test("a bundle with duplicates and a broken entry", () => {
    const broken = encodePem("CERTIFICATE", new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x01]));
    const store = TrustStore.from(`${pki.pem("ca.pem")}${pki.pem("unknown-ca.pem")}${pki.pem("ca.pem")}${broken}`);
    expect(store.size).toBe(2);
    expect(store.skipped).toBe(1);
    const ca = certificatesFrom(pki.pem("ca.pem"))[0]!;
    expect(store.contains(ca)).toBe(true);
    expect(store.bySubject(parseCertificate(ca).subjectDer).length).toBe(1);
    expect(store.all().map((c) => c.subjectText).sort()).toEqual(["CN=psk-tls Test Root CA", "CN=psk-tls Unknown Root CA"]);
  });

  test("DER anchors and a mixed list", () => {
    const der = certificatesFrom(pki.pem("ca.pem"))[0]!;
    expect(TrustStore.from(der).size).toBe(1);
    expect(TrustStore.from([der, pki.pem("unknown-ca.pem")]).size).toBe(2);
  });

  test("the system store (read from disk by the adapter)", () => {
    if (!SYSTEM_BUNDLES.some((p) => existsSync(p)) && !existsSync("/etc/ssl/certs")) {
      expect(() => systemTrustStore({ reload: true })).toThrow();
      return;
    }
    const store = systemTrustStore({ reload: true });
    expect(store.size).toBeGreaterThan(10);
    expect(systemTrustStore().size).toBe(store.size); // read again (no module-level cache)
  });
});
