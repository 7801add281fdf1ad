/**
 * application_layer_protocol_negotiation (RFC 7301 §3.1):
 *
 * ```
 * opaque ProtocolName<1..2^8-1>;
 * struct { ProtocolName protocol_name_list<2..2^16-1> } ProtocolNameList;
 * ```
 *
 * Protocol names are byte strings (RFC 7301 registers them as octet
 * sequences), so the views return `Uint8Array`s; compare them as bytes.
 * {@link alpnProtocol} and {@link alpnProtocolName} convert to and from
 * strings for the common ASCII names ("h2", "http/1.1").
 *
 * @module
 */
import { Writer } from "../../wire/writer.ts";
import { _checkLength, _decodeAll, _illegal, _writeVector } from "./codec.ts";

/** The UTF-8 bytes of a protocol name, e.g. `alpnProtocol("h2")`. */
export function alpnProtocol(name: string): Uint8Array {
  return new TextEncoder().encode(name);
}

/** A protocol name as a string (UTF-8; invalid sequences become U+FFFD, so compare bytes when it matters). */
export function alpnProtocolName(bytes: Uint8Array): string {
  return new TextDecoder().decode(bytes);
}

/** Encode the ClientHello form: the offered protocol names, preference order. */
export function encodeAlpnClientHello(names: readonly Uint8Array[]): Uint8Array {
  const w = new Writer(64);
  w.nested(2, (b) => {
    for (const n of names) _writeVector(b, 1, n, 1, 0xff, "ProtocolName");
  });
  _checkLength(w.length - 2, 2, 0xffff, "protocol_name_list");
  return w.finish();
}

/** Decode the ClientHello form; an empty list, an empty name or trailing bytes are `decode_error`. */
export function decodeAlpnClientHello(data: Uint8Array): Uint8Array[] {
  return _decodeAll(data, "application_layer_protocol_negotiation", (r) => {
    const list = r.sub(2, "protocol_name_list", 2, 0xffff);
    const out: Uint8Array[] = [];
    while (list.remaining > 0) out.push(list.vector(1, "ProtocolName", 1, 0xff));
    return out;
  });
}

/** Encode the EncryptedExtensions form: a list with exactly the one selected protocol. */
export function encodeAlpnEncryptedExtensions(selected: Uint8Array): Uint8Array {
  return encodeAlpnClientHello([selected]);
}

/**
 * Decode the EncryptedExtensions form. Malformed input is `decode_error`; a
 * list with more than one name is `illegal_parameter` (RFC 7301 §3.1: the
 * server's list "MUST contain exactly one ProtocolName").
 */
export function decodeAlpnEncryptedExtensions(data: Uint8Array): Uint8Array {
  const names = decodeAlpnClientHello(data);
  const first = names[0];
  if (names.length !== 1 || first === undefined) _illegal("alpn_not_one_protocol", `alpn: server selected ${names.length} protocols, not one`);
  return first;
}
