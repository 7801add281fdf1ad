/**
 * supported_groups (RFC 8446 §4.2.7), the same in ClientHello and
 * EncryptedExtensions:
 *
 * ```
 * struct { NamedGroup named_group_list<2..2^16-1>; } NamedGroupList;
 * ```
 *
 * @module
 */
import { Writer } from "../../wire/writer.ts";
import { _decodeAll, _readU16List, _writeU16List } from "./codec.ts";

/** Encode a NamedGroupList (NamedGroup code points, preference order). */
export function encodeSupportedGroups(groups: readonly number[]): Uint8Array {
  const w = new Writer(2 + 2 * groups.length);
  _writeU16List(w, groups, "named_group_list", 2, 0xfffe);
  return w.finish();
}

/** Decode a NamedGroupList; an empty list, an odd length or trailing bytes are `decode_error`. */
export function decodeSupportedGroups(data: Uint8Array): number[] {
  return _decodeAll(data, "supported_groups", (r) => _readU16List(r, "named_group_list", 2, 0xffff));
}
