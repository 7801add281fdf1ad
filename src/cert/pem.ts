/**
 * PEM (RFC 7468): the textual encoding of certificates and keys.
 * `-----BEGIN LABEL-----`, base64 lines, `-----END LABEL-----`; text between
 * blocks (OpenSSL's "Bag Attributes", comments in CA bundles) is ignored.
 *
 * @module
 */
import { usageError } from "../errors.ts";

/** One PEM block. */
export interface PemBlock {
  /** The label, e.g. `"CERTIFICATE"`, `"PRIVATE KEY"`, `"EC PRIVATE KEY"`. */
  label: string;
  /** The decoded DER bytes. */
  der: Uint8Array;
}

const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const B64_INDEX = new Int16Array(128).fill(-1);
for (let i = 0; i < B64.length; i++) B64_INDEX[B64.charCodeAt(i)] = i;

/** Strict base64 (RFC 4648 §4) decoding, whitespace skipped; throws on bad characters or padding. */
export function base64Decode(text: string): Uint8Array {
  const clean = text.replace(/[\s]+/g, "");
  if (clean.length % 4 !== 0) throw new TypeError("base64 length is not a multiple of 4");
  const pad = clean.endsWith("==") ? 2 : clean.endsWith("=") ? 1 : 0;
  const out = new Uint8Array((clean.length / 4) * 3 - pad);
  let o = 0;
  for (let i = 0; i < clean.length; i += 4) {
    let v = 0;
    for (let j = 0; j < 4; j++) {
      const c = clean.charCodeAt(i + j);
      const last = i + 4 === clean.length;
      if (c === 0x3d && last && j >= 4 - pad) {
        v <<= 6;
        continue;
      }
      const d = c < 128 ? B64_INDEX[c]! : -1;
      if (d < 0) throw new TypeError("invalid base64 character");
      v = (v << 6) | d;
    }
    if (o < out.length) out[o++] = (v >>> 16) & 0xff;
    if (o < out.length) out[o++] = (v >>> 8) & 0xff;
    if (o < out.length) out[o++] = v & 0xff;
  }
  return out;
}

/** Base64 encoding (RFC 4648 §4). */
export function base64Encode(data: Uint8Array): string {
  let s = "";
  for (let i = 0; i < data.length; i += 3) {
    const a = data[i]!;
    const b = data[i + 1];
    const c = data[i + 2];
    const v = (a << 16) | ((b ?? 0) << 8) | (c ?? 0);
    s += B64[(v >>> 18) & 63]! + B64[(v >>> 12) & 63]! + (b === undefined ? "=" : B64[(v >>> 6) & 63]!) +
      (c === undefined ? "=" : B64[v & 63]!);
  }
  return s;
}

const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END ([A-Z0-9 ]+)-----/g;

/**
 * Every PEM block in `text`, in order. Throws a usage TlsError
 * (`bad_pem`) for a block whose END label differs or whose body is not
 * base64. Encrypted keys (`Proc-Type` headers) are rejected.
 */
export function decodePem(text: string): PemBlock[] {
  const out: PemBlock[] = [];
  for (const m of text.matchAll(BLOCK)) {
    const label = m[1]!;
    if (m[3] !== label) throw usageError("bad_pem", `PEM block BEGIN ${label} ends with END ${m[3]}`);
    const body = m[2]!;
    if (/Proc-Type:|DEK-Info:/.test(body)) throw usageError("encrypted_pem", `PEM ${label} is encrypted; decrypt it first`);
    let der: Uint8Array;
    try {
      der = base64Decode(body);
    } catch {
      throw usageError("bad_pem", `PEM ${label} body is not valid base64`);
    }
    out.push({ label, der });
  }
  return out;
}

/** Encode DER as one PEM block with 64-character lines. */
export function encodePem(label: string, der: Uint8Array): string {
  const b64 = base64Encode(der);
  const lines: string[] = [];
  for (let i = 0; i < b64.length; i += 64) lines.push(b64.slice(i, i + 64));
  return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`;
}

/** True when `data` looks like PEM text rather than DER bytes. */
export function isPemText(data: string | Uint8Array): data is string {
  return typeof data === "string";
}

/**
 * Certificates from PEM text (every `CERTIFICATE` block), DER bytes, or a
 * list mixing both, in order. Throws `bad_pem` when nothing is found.
 */
export function certificatesFrom(input: string | Uint8Array | readonly (string | Uint8Array)[]): Uint8Array[] {
  const items = typeof input === "string" || input instanceof Uint8Array ? [input] : input;
  const out: Uint8Array[] = [];
  for (const item of items) {
    if (typeof item === "string") {
      const blocks = decodePem(item).filter((b) => b.label === "CERTIFICATE" || b.label === "X509 CERTIFICATE");
      if (blocks.length === 0) throw usageError("no_pem_certificate", "no CERTIFICATE block in the PEM text");
      out.push(...blocks.map((b) => b.der));
    } else {
      out.push(item.slice());
    }
  }
  return out;
}
