/**
 * The server's certificate steps (RFC 8446 §4.3.2, §4.4.2, §4.4.3): the
 * certificate for the client's server_name and signature_algorithms (Go's
 * `pickCertificate`), the flight after EncryptedExtensions
 * (CertificateRequest, Certificate, CertificateVerify: Go's
 * `sendServerCertificate`) and the client's Certificate and
 * CertificateVerify (Go's `readClientCertificate`).
 *
 * @module
 */
import type { HandshakeIO } from "../../connection/connection.ts";
import type { ServerContextState } from "../../context/server_context.ts";
import { TlsError } from "../../errors.ts";
import { AlertDescription } from "../alerts.ts";
import {
  certificateMessage,
  certificateRequestMessage,
  certificateVerifyMessage,
  type ClientAuthPolicy,
  type PeerLeaf,
  readCertificateMessage,
  type SigningCertificate,
  verifyCertificateVerify,
} from "../cert_auth.ts";
import type { MessageFlow } from "../message_order.ts";
import type { Transcript } from "../transcript.ts";

/** The certificate the server presents and the scheme it signs with (§4.4.2.2). */
export interface ChosenCertificate {
  /** The certificate. */
  readonly cert: SigningCertificate;
  /** Its SignatureScheme for CertificateVerify. */
  readonly scheme: number;
}

/** §4.4.2.2: a certificate for the client's server_name that can sign with one of its schemes; none is handshake_failure. */
export function pickCertificate(ctx: ServerContextState, serverName: string | null, peerSchemes: readonly number[]): ChosenCertificate {
  const chosen = ctx.certificateAuth?.select(serverName, peerSchemes);
  if (!chosen) {
    throw new TlsError("incompatible", "no_certificate_for_signature_algorithms", "no certificate can sign with the client's signature_algorithms (§4.4.2.2)", {
      alert: AlertDescription.handshake_failure,
    });
  }
  return chosen;
}

/** After EncryptedExtensions: CertificateRequest (if configured), Certificate, CertificateVerify. */
export async function sendServerCertificate(
  io: HandshakeIO,
  transcript: Transcript,
  flow: MessageFlow,
  ctx: ServerContextState,
  chosen: ChosenCertificate,
): Promise<void> {
  if (ctx.clientAuth !== "none") {
    const cr = certificateRequestMessage(ctx.signatureSchemes);
    transcript.add(cr);
    io.sendHandshake(cr);
    flow.sent("CertificateRequest");
  }
  const certMsg = certificateMessage(new Uint8Array(0), chosen.cert);
  transcript.add(certMsg);
  io.sendHandshake(certMsg);
  flow.sent("Certificate");
  const cv = await certificateVerifyMessage(io.provider, chosen.cert, chosen.scheme, "server", await transcript.current());
  transcript.add(cv);
  io.sendHandshake(cv);
  flow.sent("CertificateVerify");
}

/** The client's certificate once its chain validated. */
export interface ClientCertificate {
  /** The end-entity certificate (checks CertificateVerify). */
  readonly leaf: PeerLeaf;
  /** The chain as received, DER. */
  readonly chain: Uint8Array[];
}

/**
 * §4.4.2.4: the client's Certificate; empty (undefined) means no client
 * authentication, which `clientAuth: "require"` refuses (certificate_required).
 */
export async function readClientCertificate(
  io: HandshakeIO,
  ctx: ServerContextState,
  clientAuth: ClientAuthPolicy,
  body: Uint8Array,
  now: number,
): Promise<ClientCertificate | undefined> {
  const chain = readCertificateMessage(body, new Uint8Array(0), []);
  if (chain.length === 0) {
    if (clientAuth === "require") {
      throw new TlsError("protocol", "certificate_required", "the client sent no certificate and clientAuth is \"require\" (§4.4.2.4)", {
        alert: AlertDescription.certificate_required,
      });
    }
    return undefined;
  }
  const auth = ctx.certificateAuth;
  if (!auth) throw new TypeError("a client Certificate was requested without certificateAuth");
  const leaf = await auth.verifyPeer(chain, { provider: io.provider, name: null, purpose: "client", now });
  return { leaf, chain };
}

/** §4.4.3: the client's CertificateVerify over the transcript through its Certificate. */
export async function readClientCertificateVerify(
  io: HandshakeIO,
  ctx: ServerContextState,
  leaf: PeerLeaf,
  body: Uint8Array,
  transcript: Transcript,
): Promise<void> {
  await verifyCertificateVerify(io.provider, leaf, body, ctx.signatureSchemes, "client", await transcript.current());
}
