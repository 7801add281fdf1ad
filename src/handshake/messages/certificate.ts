/**
 * Certificate (RFC 8446 §4.4.2), X.509 certificate type only:
 *
 * ```
 * struct {
 *     opaque cert_data<1..2^24-1>;
 *     Extension extensions<0..2^16-1>;
 * } CertificateEntry;
 *
 * struct {
 *     opaque certificate_request_context<0..2^8-1>;
 *     CertificateEntry certificate_list<0..2^24-1>;
 * } Certificate;
 * ```
 *
 * @module
 */
import { Reader } from "../../wire/reader.ts";
import { Writer } from "../../wire/writer.ts";
import { _writeVector, decodeExtensions, encodeExtensions } from "../extensions/codec.ts";
import type { Certificate, CertificateEntry } from "./types.ts";

/** Encode a Certificate body. */
export function encodeCertificate(msg: Certificate): Uint8Array {
  const w = new Writer(1024);
  _writeVector(w, 1, msg.certificateRequestContext, 0, 0xff, "Certificate.certificate_request_context");
  w.nested(3, (b) => {
    for (const entry of msg.certificateList) {
      _writeVector(b, 3, entry.certData, 1, 0xffffff, "CertificateEntry.cert_data");
      encodeExtensions(b, entry.extensions, 0, 0xffff, "CertificateEntry.extensions");
    }
  });
  return w.finish();
}

/** Decode a Certificate body (`decode_error` if malformed, `illegal_parameter` on duplicate extensions in an entry). */
export function decodeCertificate(body: Uint8Array): Certificate {
  const r = new Reader(body, "Certificate");
  const certificateRequestContext = r.vector(1, "certificate_request_context", 0, 0xff);
  const list = r.sub(3, "certificate_list", 0, 0xffffff);
  r.end();
  const certificateList: CertificateEntry[] = [];
  while (list.remaining > 0) {
    const certData = list.vector(3, "cert_data", 1, 0xffffff);
    const extensions = decodeExtensions(list, 0, 0xffff, "CertificateEntry.extensions");
    certificateList.push({ certData, extensions });
  }
  return { certificateRequestContext, certificateList };
}
