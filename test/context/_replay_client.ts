/**
 * The deterministic 0-RTT replay client of the replay tests (no test
 * framework here, so the listenWorkers scenarios can run it on Node too).
 */
import type { ClientConfig } from "../../src/config.ts";
import { auto } from "../../src/crypto/auto.ts";
import type { CryptoProvider } from "../../src/crypto/provider.ts";
import type { ClientSession } from "../../src/psk/session.ts";

export const enc = (s: string) => new TextEncoder().encode(s);
export const EARLY = enc("POST /unlock-door");

/** A provider whose randomness is a fixed pattern: identical ClientHellos, for replays that can finish. */
export function replayingProvider(seed: number): CryptoProvider {
  return new Proxy(auto, {
    get(target, prop, receiver) {
      if (prop === "randomBytes") return (n: number) => new Uint8Array(n).map((_, i) => (i * 31 + seed) & 0xff);
      return Reflect.get(target, prop, receiver);
    },
  });
}

export function replayClient(session: ClientSession, seed = 7): ClientConfig {
  return {
    provider: replayingProvider(seed),
    pskMode: "resumption",
    sessions: [session],
    earlyData: EARLY,
    pskKeyExchangeModes: ["psk_ke"], // no key share: the whole first flight is deterministic
    now: () => session.receivedAt + 100, // the same obfuscated_ticket_age in every copy
  };
}
