/**
 * Session tickets (RFC 8446 §4.6.1): how many to issue after a handshake and
 * the NewSessionTicket messages themselves (Go's `sendSessionTickets`), each
 * with its own nonce (its index) and ticket_age_add, sealed under the
 * context's ticket keys. A failing key store means no tickets this time,
 * never a failed connection.
 *
 * @module
 */
import type { ServerConfig } from "../../config.ts";
import type { HandshakeIO } from "../../connection/connection.ts";
import type { ServerContextState } from "../../context/server_context.ts";
import { sealTickets } from "../../psk/ticket.ts";
import type { TicketKeyStore } from "../../psk/ticket_keys.ts";
import { type CipherSuiteParams, ExtensionType, HandshakeType } from "../constants.ts";
import * as ext from "../extensions/index.ts";
import { encodeHandshake } from "../messages/handshake.ts";
import { encodeNewSessionTicket } from "../messages/new_session_ticket.ts";
import { reportStoreError } from "./store_error.ts";

/**
 * The ticket indexes (and nonces) to issue after this handshake (§4.6.1);
 * none without a store, or to a client that sent no psk_key_exchange_modes
 * (it could never use them, §4.2.9).
 */
export function ticketsToIssue(config: Readonly<ServerConfig>, store: TicketKeyStore | undefined, clientOffersPskModes: boolean): number[] {
  const cfg = config.tickets;
  if (!cfg || !store || !clientOffersPskModes) return [];
  return Array.from({ length: cfg.count ?? 2 }, (_, i) => i);
}

/** What a ticket remembers of the connection. */
export interface TicketSession {
  readonly suite: CipherSuiteParams;
  readonly alpn: string | null;
  readonly serverName: string | null;
  /** The identity that authenticated the connection (external PSK, original identity, client subject; "" for none). */
  readonly originalIdentity: string;
}

/** §4.6.1: NewSessionTickets after the handshake, one per entry of `tickets`, with the PSKs the finish stage derived. */
export async function sendSessionTickets(
  io: HandshakeIO,
  ctx: ServerContextState,
  tickets: readonly number[],
  psks: readonly Uint8Array[],
  session: TicketSession,
  now: number,
): Promise<void> {
  const store = ctx.ticketKeys;
  const config = ctx.config;
  if (tickets.length === 0 || !store) return;
  const p = io.provider;
  const lifetime = ctx.ticketLifetime;
  const maxEarly = config.earlyData ? config.tickets?.maxEarlyData ?? 0 : 0;
  const ageAdds = tickets.map(() => {
    const b = p.randomBytes(4);
    return ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
  });
  let sealed: Uint8Array[];
  try {
    // One ticket-key import for all of them.
    sealed = await sealTickets(p, store, tickets.map((i) => ({
      cipherSuite: session.suite.name,
      psk: psks[i]!,
      issuedAt: now,
      lifetime,
      ageAdd: ageAdds[i]!,
      maxEarlyData: maxEarly,
      alpn: session.alpn ?? "",
      serverName: session.serverName ?? "",
      originalIdentity: session.originalIdentity,
    })));
  } catch (e) {
    reportStoreError(config, e, "ticket_key_issue");
    return; // no tickets this time; the connection is fine
  }
  for (const i of tickets) {
    io.sendHandshake(encodeHandshake(HandshakeType.new_session_ticket, encodeNewSessionTicket({
      ticketLifetime: lifetime,
      ticketAgeAdd: ageAdds[i]!,
      ticketNonce: new Uint8Array([i]),
      ticket: sealed[i]!,
      extensions: maxEarly > 0 ? [{ type: ExtensionType.early_data, data: ext.encodeEarlyDataNewSessionTicket(maxEarly) }] : [],
    })));
  }
}
