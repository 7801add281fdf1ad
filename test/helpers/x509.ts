/**
 * Test fixtures written with the certificate options inline: `withX509`
 * moves the `x509()` options (`certificates`, `trustAnchors`, `verifyName`,
 * `insecure`, `verifyCertificate`, `clientAuth`) of a config literal into
 * its `certificateAuth`, as an application would write it.
 */
import type { CommonConfig } from "../../src/config.ts";
import { type X509Options, x509 } from "../../src/cert/x509_auth.ts";

const X509_KEYS = ["certificates", "trustAnchors", "verifyName", "insecure", "verifyCertificate", "clientAuth"] as const;

/** `config` with its x509() options moved into `certificateAuth` (none: unchanged). */
export function withX509<C extends CommonConfig>(config: C & X509Options): C {
  const rest: Record<string, unknown> = { ...(config as object) };
  const x: Record<string, unknown> = {};
  for (const k of X509_KEYS) {
    if (k in rest) {
      if (rest[k] !== undefined) x[k] = rest[k];
      delete rest[k];
    }
  }
  return (Object.keys(x).length > 0 ? { ...rest, certificateAuth: x509(x as X509Options) } : rest) as C;
}
