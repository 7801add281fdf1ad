/**
 * The server's ClientHello checks (RFC 8446 §4.1.2, §4.2, §9.2, Appendix
 * D.5): the version and compression rules, a retried hello against the
 * first, the extensions that must come together, and what the server reads
 * from the hello before choosing a PSK or a certificate (groups and key
 * shares, modes, SNI, ALPN, record_size_limit).
 *
 * @module
 */
import type { ServerConfig } from "../../config.ts";
import type { GroupName } from "../../crypto/provider.ts";
import { constantTimeEqual } from "../../crypto/constant_time.ts";
import { AlertDescription } from "../alerts.ts";
import { ExtensionType, NamedGroup, TLS12, TLS13 } from "../constants.ts";
import * as ext from "../extensions/index.ts";
import type { ClientHello, KeyShareEntry } from "../messages/types.ts";
import { illegal, missing, violation } from "../violations.ts";

/** What a HelloRetryRequest asked for, checked against the second ClientHello (§4.1.2, §4.1.4). */
export interface RetryRequest {
  /** The first ClientHello. */
  readonly hello1: ClientHello;
  /** The cookie sent in the HelloRetryRequest, if any. */
  readonly cookie: Uint8Array | undefined;
  /** The group the HelloRetryRequest named. */
  readonly group: GroupName;
}

/** The client key share the server will use. */
export interface KeyShareChoice {
  /** Its group. */
  readonly name: GroupName;
  /** The client's key_exchange bytes. */
  readonly keyExchange: Uint8Array;
}

/** What the server read from a ClientHello's extensions. */
export interface ClientHelloOffer {
  /** The pre_shared_key extension data, if offered. */
  readonly pskData: Uint8Array | undefined;
  /** psk_key_exchange_modes, as code points ([] when absent). */
  readonly clientModes: readonly number[];
  /** supported_groups ([] when absent). */
  readonly clientGroups: readonly number[];
  /** key_share entries ([] when absent). */
  readonly shares: readonly KeyShareEntry[];
  /** server_name, or null. */
  readonly serverName: string | null;
  /** The ALPN protocol the server picked, or null. */
  readonly alpn: string | null;
  /** The client's record_size_limit (RFC 8449), if sent. */
  readonly recordSizeLimit: number | undefined;
  /** Whether the client sent early_data (§4.2.10). */
  readonly earlyData: boolean;
}

/**
 * §4.1.2, §4.2.1, §D.5: version, compression and (for the second hello) the
 * fields a HelloRetryRequest must not change.
 */
export function checkClientHello(ch: ClientHello, retry: RetryRequest | undefined): void {
  // Appendix D.5: a ClientHello with legacy_version 0x0300 (SSL 3.0) MUST be aborted with
  // protocol_version; anything below TLS 1.2's 0x0303 is treated the same (as OpenSSL does).
  if (ch.legacyVersion < TLS12) {
    throw violation(AlertDescription.protocol_version, "bad_legacy_version", `ClientHello legacy_version 0x${ch.legacyVersion.toString(16).padStart(4, "0")} is below 0x0303 (§D.5)`);
  }
  const sv = ext.findExtension(ch.extensions, ExtensionType.supported_versions);
  // §4.2.1: no supported_versions means TLS 1.2 or older, which we do not speak.
  if (!sv || !ext.decodeSupportedVersionsClientHello(sv).includes(TLS13)) {
    throw violation(AlertDescription.protocol_version, "tls13_not_offered", "client does not offer TLS 1.3");
  }
  // §4.1.2: legacy_compression_methods MUST be exactly [0].
  if (ch.legacyCompressionMethods.length !== 1 || ch.legacyCompressionMethods[0] !== 0) {
    throw illegal("ch_compression_methods", "legacy_compression_methods is not [null] (§4.1.2)");
  }
  // §4.2.1: with supported_versions present, legacy_version MUST NOT be used for negotiation.
  if (retry) {
    const first = retry.hello1;
    // §4.1.2: the retried ClientHello keeps random and session id; early_data is gone.
    if (!constantTimeEqual(ch.random, first.random) || !constantTimeEqual(ch.legacySessionId, first.legacySessionId)) {
      throw illegal("ch2_random_or_session_id_changed", "second ClientHello changed random or legacy_session_id");
    }
    if (ext.findExtension(ch.extensions, ExtensionType.early_data)) throw illegal("ch2_early_data", "early_data in the second ClientHello");
    if (retry.cookie) {
      const c = ext.findExtension(ch.extensions, ExtensionType.cookie);
      if (!c || !constantTimeEqual(ext.decodeCookie(c), retry.cookie)) throw illegal("ch2_cookie_mismatch", "second ClientHello did not echo the cookie");
    }
  }
}

/** Read the extensions the server acts on, with the rules that bind them together (§4.2.8, §4.2.9, §9.2, RFC 7301). */
export function readClientHello(ch: ClientHello, config: Readonly<ServerConfig>): ClientHelloOffer {
  const find = (t: ExtensionType) => ext.findExtension(ch.extensions, t);
  const pskData = find(ExtensionType.pre_shared_key);
  const modesData = find(ExtensionType.psk_key_exchange_modes);
  // §4.2.9: a client offering pre_shared_key MUST also send psk_key_exchange_modes.
  if (pskData && !modesData) throw missing("ch_psk_without_psk_modes", "pre_shared_key without psk_key_exchange_modes (§4.2.9)");
  const clientModes = modesData ? ext.decodePskKeyExchangeModes(modesData) : [];
  const groupsData = find(ExtensionType.supported_groups);
  const ksData = find(ExtensionType.key_share);
  // §9.2: key_share and supported_groups go together.
  if (ksData && !groupsData) throw missing("ch_key_share_without_groups", "key_share without supported_groups (§9.2)");
  if (groupsData && !ksData) throw missing("ch_groups_without_key_share", "supported_groups without key_share (§9.2)");
  const clientGroups = groupsData ? ext.decodeSupportedGroups(groupsData) : [];
  const shares = ksData ? ext.decodeKeyShareClientHello(ksData) : [];
  // §4.2.8: each share's group must be in supported_groups (two shares for one group are
  // peer_duplicate_key_share, from decodeKeyShareClientHello).
  for (const s of shares) {
    if (!clientGroups.includes(s.group)) throw illegal("ch_key_share_group_not_supported", "key share for a group not in supported_groups (§4.2.8)");
  }

  // SNI and ALPN (read now, answered in EncryptedExtensions).
  const sni = find(ExtensionType.server_name);
  const serverName = sni ? ext.decodeServerNameClientHello(sni) ?? null : null;
  const alpnData = find(ExtensionType.application_layer_protocol_negotiation);
  let alpn: string | null = null;
  if (alpnData && config.alpnProtocols?.length) {
    const offered = ext.decodeAlpnClientHello(alpnData).map(ext.alpnProtocolName);
    const pick = config.alpnProtocols.find((p) => offered.includes(p));
    // RFC 7301 §3.2: no overlap → no_application_protocol.
    if (pick === undefined) throw violation(AlertDescription.no_application_protocol, "ch_no_common_alpn", "no common ALPN protocol");
    alpn = pick;
  }
  const rsl = find(ExtensionType.record_size_limit);
  return {
    pskData,
    clientModes,
    clientGroups,
    shares,
    serverName,
    alpn,
    recordSizeLimit: rsl ? ext.decodeRecordSizeLimit(rsl) : undefined,
    earlyData: find(ExtensionType.early_data) !== undefined,
  };
}

/**
 * The client's share for our most preferred group it sent one for; undefined
 * means a HelloRetryRequest is needed. On a retried hello (§4.1.2) the one
 * share must be for the group the HelloRetryRequest named.
 */
export function pickKeyShare(
  groups: readonly GroupName[],
  offer: Pick<ClientHelloOffer, "shares" | "clientGroups">,
  retry: RetryRequest | undefined,
): KeyShareChoice | undefined {
  const { shares, clientGroups } = offer;
  // Post-quantum first: when our first group is X25519MLKEM768 and the client lists it in
  // supported_groups but sent no share for it, ask for it (HelloRetryRequest) rather than
  // settle for a classical share (draft-ietf-tls-ecdhe-mlkem; a harvest-now-decrypt-later
  // attacker gains nothing from the extra round trip).
  const first = groups[0];
  if (!retry && first === "X25519MLKEM768" && clientGroups.includes(NamedGroup[first]) && !shares.some((x) => x.group === NamedGroup[first])) {
    return undefined;
  }
  let share: KeyShareChoice | undefined;
  for (const g of groups) {
    const s = shares.find((x) => x.group === NamedGroup[g]);
    if (s) {
      share = { name: g, keyExchange: s.keyExchange };
      break;
    }
  }
  if (retry && (!share || share.name !== retry.group || shares.length !== 1)) {
    throw illegal("hrr_key_share_mismatch", "second ClientHello does not carry the key share the HelloRetryRequest asked for");
  }
  return share;
}

/** The group a HelloRetryRequest asks for: our most preferred one the client supports. */
export function retryGroup(groups: readonly GroupName[], clientGroups: readonly number[]): GroupName | undefined {
  return groups.find((g) => clientGroups.includes(NamedGroup[g]));
}
