/**
 * Pre-shared keys (RFC 8446 §2.2, §4.2.11) with the s2n-tls PSK surface:
 * identity, secret, hash ("hmac" in s2n), and a kind (external or resumption;
 * one type for both, as s2n does).
 *
 * The secret is held in a private field: it never appears in `toString`,
 * `JSON.stringify` or `inspect` output.
 *
 * @module
 */
import type { CipherSuiteName } from "../config.ts";
import type { HashAlgorithm } from "../crypto/provider.ts";
import { usageError } from "../errors.ts";
import { toHex } from "../wire/bytes.ts";
import { secretWeakness } from "./secret_entropy.ts";

/** Where a PSK comes from: provisioned out of band, or a ticket from an earlier connection (§4.6.1). */
export type PskKind = "external" | "resumption";

/** PSK hash names as the s2n API spells them (`S2N_PSK_HMAC_SHA256` …). */
export type PskHash = "sha256" | "sha384";

/** Options for {@link createPsk}. */
export interface PskOptions {
  /**
   * The identity, sent IN THE CLEAR in every ClientHello that offers this PSK:
   * never put confidential information in it. A string is UTF-8 encoded.
   */
  identity: string | Uint8Array;
  /** The secret; at least 16 bytes of real entropy (RFC 8446 §2.2 note). */
  secret: Uint8Array;
  /** The PSK's hash (s2n: `s2n_psk_set_hmac`); constrains the cipher suite. Default `"sha256"`. */
  hash?: PskHash;
  /**
   * Allow a secret shorter than 16 bytes. Low-entropy secrets are open to
   * offline dictionary attacks on the binder (RFC 8446 §2.2); only for tests
   * and legacy peers.
   */
  allowShortSecret?: boolean;
  /**
   * Accept an external secret that looks like low-entropy input: printable
   * text (a password, or a hex/base64 string passed undecoded), a repeated
   * pattern (e.g. 32 zero bytes), or bytes with far too few distinct values
   * for their length. Off by default: such a secret is refused with a
   * TlsError (kind `"usage"`, code `psk_secret_*`) naming the likely cause.
   * Only for fixed test vectors (RFC 8448) and legacy deployments. A random
   * secret of 16 bytes or more is refused by mistake with probability about
   * 2e-7 at 16 bytes and below 1e-12 from 32 bytes up (see SECURITY.md).
   */
  allowLowEntropySecret?: boolean;
  /**
   * Allow this PSK object to be used in both the client and the server role
   * in one process. Off by default: using one PSK in both roles enables the
   * Selfie reflection attack (Drucker & Gueron, 2019) the s2n guide cites.
   */
  allowBothRoles?: boolean;
  /** Kind of PSK. Default `"external"`; resumption PSKs are normally made by the ticket machinery. */
  kind?: PskKind;
  /**
   * 0-RTT parameters (s2n: `s2n_psk_configure_early_data` and
   * `s2n_psk_set_application_protocol`). Without them the PSK never carries
   * early data. Both sides must agree on them.
   */
  earlyData?: PskEarlyDataOptions;
  /** For resumption PSKs: when the ticket arrived and its ticket_age_add (§4.2.11.1). Set by sessions. */
  ticketAge?: { receivedAt: number; ageAdd: number };
}

/** Early-data parameters of a PSK (RFC 8446 §4.2.10: suite and ALPN must match the original). */
export interface PskEarlyDataOptions {
  /** Most early data bytes (max_early_data_size), 1..2^32-1. */
  maxSize: number;
  /** The only cipher suite 0-RTT may use with this PSK. */
  cipherSuite: CipherSuiteName;
  /** The ALPN protocol 0-RTT requires, if any. */
  alpn?: string;
}

/** Minimum secret length accepted without `allowShortSecret` (128 bits). */
export const MIN_PSK_SECRET_LENGTH = 16;
/** Maximum identity length on the wire (RFC 8446 §4.2.11: opaque identity<1..2^16-1>). */
export const MAX_PSK_IDENTITY_LENGTH = 0xffff;

const SECRET_STORE = new WeakMap<Psk, Uint8Array>();

/**
 * A pre-shared key. Create with {@link createPsk}. Immutable; the secret can
 * be wiped with {@link Psk.wipe}.
 */
export class Psk {
  readonly #identity: Uint8Array;
  /** The hash the PSK is bound to. */
  readonly hash: HashAlgorithm;
  /** External or resumption. */
  readonly kind: PskKind;
  /** 0-RTT parameters, or undefined when this PSK carries no early data. */
  readonly earlyData: Readonly<PskEarlyDataOptions> | undefined;
  /** Whether the Selfie guard is disabled for this PSK. */
  readonly allowBothRoles: boolean;
  /** Ticket age inputs for resumption PSKs. */
  readonly ticketAge: Readonly<{ receivedAt: number; ageAdd: number }> | undefined;
  /** Whether this PSK was imported (RFC 9258): its identity is an ImportedIdentity, its binder label "imp binder". */
  readonly imported: boolean;
  /** For an imported PSK: the external identity it was imported from. */
  readonly #externalIdentity: Uint8Array | undefined;
  #role: "client" | "server" | undefined;

  /** @internal Use {@link createPsk}. */
  constructor(
    identity: Uint8Array,
    secret: Uint8Array,
    hash: HashAlgorithm,
    kind: PskKind,
    earlyData: PskEarlyDataOptions | undefined,
    allowBothRoles: boolean,
    ticketAge?: { receivedAt: number; ageAdd: number },
    importedFrom?: Uint8Array,
  ) {
    this.ticketAge = ticketAge;
    this.imported = importedFrom !== undefined;
    this.#externalIdentity = importedFrom;
    this.#identity = identity;
    this.hash = hash;
    this.kind = kind;
    this.earlyData = earlyData === undefined ? undefined : Object.freeze({ ...earlyData });
    this.allowBothRoles = allowBothRoles;
    SECRET_STORE.set(this, secret);
  }

  /** The identity bytes (public: sent in clear). A copy; the PSK is immutable. */
  get identity(): Uint8Array {
    return this.#identity.slice();
  }

  /**
   * The identity as text (UTF-8, lossy for binary identities); for an
   * imported PSK, the external identity it was imported from (RFC 9258).
   */
  get identityText(): string {
    return new TextDecoder().decode(this.#externalIdentity ?? this.#identity);
  }

  /**
   * @internal Which binder label the key schedule uses: "ext binder",
   * "res binder", or "imp binder" for imported PSKs (RFC 9258 §5.2).
   */
  get binderKind(): PskKind | "imported" {
    return this.imported ? "imported" : this.kind;
  }

  /**
   * Record that this PSK is used in `role`; throws when it was already used in
   * the other role and `allowBothRoles` is off (Selfie guard).
   * @internal
   */
  claimRole(role: "client" | "server"): void {
    if (this.#role === undefined) this.#role = role;
    else if (this.#role !== role && !this.allowBothRoles) {
      throw usageError(
        "psk_both_roles",
        `PSK "${safeIdentity(this.#identity)}" is already used as ${this.#role}; using one PSK in both roles enables the Selfie attack (set allowBothRoles to opt out)`,
      );
    }
  }

  /** Overwrite the secret with zeros; the PSK is unusable afterwards. */
  wipe(): void {
    SECRET_STORE.get(this)?.fill(0);
    SECRET_STORE.delete(this);
  }

  /** A description without the secret. */
  toString(): string {
    return `Psk(${this.kind}, identity="${safeIdentity(this.#identity)}", ${this.hash})`;
  }

  /** JSON without the secret. */
  toJSON(): { identity: string; hash: HashAlgorithm; kind: PskKind } {
    return { identity: safeIdentity(this.#identity), hash: this.hash, kind: this.kind };
  }

  /** Node/Bun `util.inspect` hook: never show the secret. */
  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return this.toString();
  }

  /** Deno `Deno.inspect` hook: never show the secret. */
  [Symbol.for("Deno.customInspect")](): string {
    return this.toString();
  }
}

/** @internal The secret, for the key schedule only. */
export function pskSecret(psk: Psk): Uint8Array {
  const s = SECRET_STORE.get(psk);
  if (!s) throw usageError("psk_wiped", `PSK "${safeIdentity(psk.identity)}" has been wiped`);
  return s;
}

function safeIdentity(id: Uint8Array): string {
  const text = new TextDecoder("utf-8", { fatal: false }).decode(id);
  // deno-lint-ignore no-control-regex
  return /^[\x20-\x7e]*$/.test(text) ? text : `0x${toHex(id)}`;
}

/** Map the s2n hash name to ours. */
export function pskHashAlgorithm(h: PskHash | HashAlgorithm): HashAlgorithm {
  switch (h) {
    case "sha256":
    case "SHA-256":
      return "SHA-256";
    case "sha384":
    case "SHA-384":
      return "SHA-384";
    default:
      throw usageError("bad_psk_hash", `unknown PSK hash ${String(h)}`);
  }
}

/**
 * Create a PSK (s2n: `s2n_external_psk_new` + `s2n_psk_set_identity` +
 * `s2n_psk_set_secret` + `s2n_psk_set_hmac`). The secret is copied.
 */
export function createPsk(options: PskOptions): Psk {
  const identity = typeof options.identity === "string" ? new TextEncoder().encode(options.identity) : options.identity.slice();
  if (identity.length === 0 || identity.length > MAX_PSK_IDENTITY_LENGTH) {
    throw usageError("bad_psk_identity", `PSK identity must be 1..${MAX_PSK_IDENTITY_LENGTH} bytes`);
  }
  if (!(options.secret instanceof Uint8Array) || options.secret.length === 0) {
    throw usageError("bad_psk_secret", "PSK secret must be a non-empty Uint8Array");
  }
  if (options.secret.length < MIN_PSK_SECRET_LENGTH && !options.allowShortSecret) {
    throw usageError(
      "psk_secret_too_short",
      `PSK secret is ${options.secret.length} bytes; at least ${MIN_PSK_SECRET_LENGTH} are required (RFC 8446 §2.2: low-entropy secrets are open to dictionary attacks; set allowShortSecret to opt out)`,
    );
  }
  // RFC 8446 §2.2 note / RFC 9257 §6: refuse the usual low-entropy mistakes.
  // Resumption secrets come out of HKDF and are not checked.
  if ((options.kind ?? "external") === "external" && !options.allowLowEntropySecret) {
    const weak = secretWeakness(options.secret);
    if (weak) {
      throw usageError(
        weak.code,
        `PSK "${safeIdentity(identity)}": secret refused: ${weak.cause} (RFC 8446 §2.2; set allowLowEntropySecret to opt out)`,
      );
    }
  }
  const hash = pskHashAlgorithm(options.hash ?? "sha256");
  const ed = options.earlyData;
  if (ed !== undefined) {
    if (!Number.isInteger(ed.maxSize) || ed.maxSize < 1 || ed.maxSize > 0xffffffff) {
      throw usageError("bad_max_early_data", "earlyData.maxSize must be an integer 1..2^32-1");
    }
    const suiteHash = ed.cipherSuite === "TLS_AES_256_GCM_SHA384" ? "SHA-384" : ed.cipherSuite.endsWith("SHA256") ? "SHA-256" : undefined;
    if (suiteHash !== hash) throw usageError("bad_early_data_suite", "earlyData.cipherSuite must use the PSK's hash");
  }
  return new Psk(
    identity,
    options.secret.slice(),
    hash,
    options.kind ?? "external",
    ed,
    options.allowBothRoles ?? false,
    options.ticketAge,
  );
}
