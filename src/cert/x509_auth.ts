/**
 * X.509 certificate authentication as a strategy for a configuration's
 * `certificateAuth` (RFC 8446 §4.4.2, §4.4.3; RFC 5280 path validation;
 * RFC 6125 identity): `x509()` loads the certificates and trust anchors
 * once, selects a certificate by SNI and signature_algorithms, and
 * validates peer chains. The handshake core reaches X.509 code (PKI.js)
 * only through the object this returns, so PSK-only builds leave it out.
 *
 * @module
 */
import type { CertificateAuth, CertificateAuthStrategy, ClientAuthPolicy, PeerCheckRequest, PeerLeaf } from "../handshake/cert_auth.ts";
import { schemeFor } from "../handshake/cert_auth.ts";
import { AlertDescription } from "../handshake/alerts.ts";
import { TlsError, usageError } from "../errors.ts";
import { type CertificateConfig, type CertifiedKey, loadCertifiedKey } from "./certified_key.ts";
import type { ParsedCertificate } from "./certificate.ts";
import { verifyCertificateChain } from "./chain.ts";
import { dnsNameMatches } from "./hostname.ts";
import { TrustStore } from "./trust_store.ts";
import { CertificateParseCache } from "./parse_cache.ts";

/**
 * Trust anchors for certificate validation: a {@link TrustStore}, PEM text
 * (a CA bundle), DER bytes, or a list of PEM/DER items. The system store
 * is loaded by the `systemTrustStore()` adapter (it reads files).
 */
export type TrustAnchors = TrustStore | string | Uint8Array | readonly (string | Uint8Array)[];

/** What a peer's certificate chain is checked against; see {@link X509Options.verifyCertificate}. */
export interface CertificateVerifyInfo {
  /** The chain as received, DER, end entity first. */
  chain: readonly Uint8Array[];
  /** The name being verified (client side: `verifyName ?? serverName`), or null. */
  name: string | null;
  /** `"server"` when a client checks a server, `"client"` for client authentication. */
  purpose: "server" | "client";
}

/**
 * Options of {@link x509}. One object serves either role: a client reads
 * `trustAnchors`, `verifyName`, `insecure`, `verifyCertificate` (the
 * server's chain) and `certificates` (sent when the server asks); a server
 * reads `certificates` (its chains), `clientAuth`, and `trustAnchors` /
 * `verifyCertificate` for client certificates.
 */
export interface X509Options {
  /**
   * Certificate chains with private keys (RFC 8446 §4.4.2). Server: chosen
   * per connection by SNI (`serverNames`, default the certificate's
   * dNSNames; no match → the first usable one) and by the client's
   * signature_algorithms (§4.4.2.2). Client: offered when the server sends
   * a CertificateRequest (§4.4.2.3).
   */
  certificates?: readonly CertificateConfig[];
  /**
   * Trust anchors for the peer's chain: the server's (client), or clients'
   * (server, required when `clientAuth` is not `"none"`).
   */
  trustAnchors?: TrustAnchors;
  /** Client: the name (or IP) to verify the server certificate against instead of `serverName`. */
  verifyName?: string;
  /**
   * Client: accept any server certificate without validating its chain or
   * name (the CertificateVerify signature is still checked against it). For
   * tests and debugging only: it removes server authentication entirely.
   */
  insecure?: boolean;
  /**
   * A check of the peer's chain after the built-in validation; throw to
   * reject (a TlsError keeps its alert, anything else is bad_certificate).
   * On a client without `trustAnchors` (or with `insecure`) it is the only check.
   */
  verifyCertificate?: (info: CertificateVerifyInfo) => void | Promise<void>;
  /** Server: client certificate authentication in certificate handshakes (§4.3.2). Default `"none"`. */
  clientAuth?: ClientAuthPolicy;
}

/** The strategy object behind {@link x509}. */
class X509Auth implements CertificateAuthStrategy {
  readonly kind = "x509";
  readonly certificates: readonly CertifiedKey[];
  readonly verifiesPeer: boolean;
  readonly checksName: boolean;
  readonly verifyName: string | undefined;
  readonly clientAuth: ClientAuthPolicy;
  readonly #trust: TrustStore | undefined;
  /** Peer certificates parsed once per configuration (parsing dominated a certificate handshake's CPU). */
  readonly #parsed = new CertificateParseCache();
  readonly #insecure: boolean;
  readonly #hook: X509Options["verifyCertificate"];

  constructor(options: X509Options) {
    this.certificates = (options.certificates ?? []).map(loadCertifiedKey);
    const anchors = options.trustAnchors;
    this.#trust = anchors === undefined ? undefined : anchors instanceof TrustStore ? anchors : TrustStore.from(anchors);
    this.#insecure = options.insecure === true;
    this.#hook = options.verifyCertificate;
    this.verifiesPeer = anchors !== undefined || this.#insecure || this.#hook !== undefined;
    this.checksName = anchors !== undefined && !this.#insecure;
    this.verifyName = options.verifyName;
    this.clientAuth = options.clientAuth ?? "none";
    if (!["none", "request", "require"].includes(this.clientAuth)) {
      throw usageError("bad_client_auth", `unknown clientAuth ${String(this.clientAuth)}`);
    }
    if (this.clientAuth !== "none" && anchors === undefined) {
      throw usageError("no_client_trust_anchors", `clientAuth "${this.clientAuth}" needs trustAnchors`);
    }
  }

  select(serverName: string | null, peerSchemes: readonly number[]): { cert: CertifiedKey; scheme: number } | undefined {
    const usable = (list: readonly CertifiedKey[]) => {
      for (const cert of list) {
        const scheme = schemeFor(cert, peerSchemes);
        if (scheme !== undefined) return { cert, scheme };
      }
      return undefined;
    };
    if (serverName !== null) {
      const hit = usable(this.certificates.filter((c) => c.names.some((n) => dnsNameMatches(n, serverName))));
      if (hit) return hit;
    }
    return usable(this.certificates);
  }

  async verifyPeer(chain: readonly Uint8Array[], req: PeerCheckRequest): Promise<PeerLeaf> {
    let leaf: ParsedCertificate;
    if (this.#trust === undefined || (this.#insecure && req.purpose === "server")) {
      leaf = this.#parsed.parse(chain[0]!);
    } else {
      leaf = (await verifyCertificateChain(chain, {
        provider: req.provider,
        trust: this.#trust,
        now: req.now,
        purpose: req.purpose,
        parse: (der) => this.#parsed.parse(der),
        ...(req.name !== null ? { name: req.name } : {}),
      })).leaf;
    }
    if (!leaf.publicKey) {
      throw new TlsError("protocol", "unsupported_public_key", `certificate public key ${leaf.publicKeyOid} is not supported`, {
        alert: AlertDescription.unsupported_certificate,
      });
    }
    if (this.#hook) {
      try {
        await this.#hook({ chain, name: req.name, purpose: req.purpose });
      } catch (e) {
        if (e instanceof TlsError) throw e;
        throw new TlsError("protocol", "certificate_rejected", `certificate rejected by the verification callback: ${(e as Error)?.message ?? String(e)}`, {
          alert: AlertDescription.bad_certificate,
          cause: e,
        });
      }
    }
    return { publicKey: leaf.publicKey, subject: leaf.subjectText };
  }

  /** Never show key material. */
  toJSON(): { kind: "x509"; certificates: number; clientAuth: ClientAuthPolicy } {
    return { kind: "x509", certificates: this.certificates.length, clientAuth: this.clientAuth };
  }
}

/**
 * X.509 certificate authentication for a client or server configuration's
 * `certificateAuth`. Certificates and trust anchors are loaded and checked
 * here, once; usage errors (`bad_pem`, `bad_private_key`, `key_mismatch`,
 * `no_client_trust_anchors`) are thrown here.
 *
 * @example A client that verifies the server against a CA, and a server with a certificate
 * ```ts
 * import type { ClientConfig, ServerConfig } from "@psk-tls/tls13";
 * import { x509 } from "@psk-tls/tls13/cert";
 *
 * declare const caPem: string, chainPem: string, keyPem: string;
 * const client: ClientConfig = { serverName: "example.com", certificateAuth: x509({ trustAnchors: caPem }) };
 * const server: ServerConfig = {
 *   certificateAuth: x509({ certificates: [{ chain: chainPem, privateKey: keyPem }], clientAuth: "request", trustAnchors: caPem }),
 * };
 * ```
 */
export function x509(options: X509Options): CertificateAuth {
  return new X509Auth(options);
}
