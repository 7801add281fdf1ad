/**
 * `psk-tls keygen`: print a random PSK as one `identity:hex` line (GnuTLS
 * `psktool` file format), usable with `--psk`, in a `--psk-file`, and in a
 * `gnutls-serv --pskpasswd` file.
 *
 * @module
 */
import type { KeygenCommand } from "./args.ts";
import { formatPskLine } from "./psk_file.ts";

/** The line `keygen` prints (without the newline), from fresh random bytes. */
export function keygenLine(command: KeygenCommand): string {
  const secret = crypto.getRandomValues(new Uint8Array(command.bytes));
  return formatPskLine({ identity: command.identity, secret });
}
