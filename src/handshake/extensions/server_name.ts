/**
 * server_name (RFC 6066 §3; RFC 8446 §4.2):
 *
 * ```
 * struct {
 *     NameType name_type;                 // host_name(0), (255)
 *     select (name_type) { case host_name: HostName; } name;
 * } ServerName;
 * opaque HostName<1..2^16-1>;
 * struct { ServerName server_name_list<1..2^16-1> } ServerNameList;
 * ```
 *
 * In the ClientHello it carries the list; in EncryptedExtensions the server
 * acknowledges it with empty extension_data.
 *
 * @module
 */
import { decodeError, usageError } from "../../errors.ts";
import { Writer } from "../../wire/writer.ts";
import { _checkLength, _decodeAll, _illegal } from "./codec.ts";

/** NameType host_name. */
const HOST_NAME = 0;

/** True when `c` may appear in a HostName: printable ASCII without space (RFC 6066 §3: ASCII, no trailing dot). */
function hostNameByte(c: number): boolean {
  return c > 0x20 && c < 0x7f;
}

function invalidHostName(hostName: string): Error {
  return usageError("invalid_host_name", `server_name: invalid host name ${JSON.stringify(hostName)}`);
}

/**
 * Encode the ClientHello form: a list with one host_name entry. `hostName`
 * must be printable ASCII (an IDN in A-label form) without a trailing dot.
 */
export function encodeServerNameClientHello(hostName: string): Uint8Array {
  const bytes = new Uint8Array(hostName.length);
  for (let i = 0; i < hostName.length; i++) {
    const c = hostName.charCodeAt(i);
    if (!hostNameByte(c)) throw invalidHostName(hostName);
    bytes[i] = c;
  }
  if (hostName.endsWith(".")) throw invalidHostName(hostName);
  _checkLength(bytes.length, 1, 0xffff - 3, "server_name.host_name");
  const w = new Writer(bytes.length + 5);
  w.nested(2, (b) => {
    b.u8(HOST_NAME);
    b.vector(2, bytes);
  });
  return w.finish();
}

/**
 * Decode the ClientHello form. Returns the host name, or `undefined` when the
 * list holds only name types this library does not know (skipped, their data
 * being an opaque<1..2^16-1> like HostName). Malformed input is
 * `decode_error`; two host names, or a host name that is not printable ASCII
 * or ends in a dot, is `illegal_parameter`.
 */
export function decodeServerNameClientHello(data: Uint8Array): string | undefined {
  return _decodeAll(data, "server_name", (r) => {
    const list = r.sub(2, "server_name_list", 1, 0xffff);
    let host: string | undefined;
    while (list.remaining > 0) {
      const type = list.u8("name_type");
      const name = list.vector(2, "name", 1, 0xffff);
      if (type !== HOST_NAME) continue;
      if (host !== undefined) _illegal("multiple_host_names", "server_name: more than one host_name");
      let s = "";
      for (const c of name) {
        if (!hostNameByte(c)) _illegal("host_name_not_printable", "server_name: host_name is not printable ASCII");
        s += String.fromCharCode(c);
      }
      if (s.endsWith(".")) _illegal("host_name_trailing_dot", "server_name: host_name ends with a dot");
      host = s;
    }
    return host;
  });
}

/** Encode the EncryptedExtensions form: empty extension_data. */
export function encodeServerNameEncryptedExtensions(): Uint8Array {
  return new Uint8Array(0);
}

/** Decode the EncryptedExtensions form: extension_data must be empty (`decode_error` otherwise). */
export function decodeServerNameEncryptedExtensions(data: Uint8Array): void {
  if (data.length !== 0) throw decodeError("non_empty_body", `server_name: ${data.length} bytes in the server's empty form`);
}
