import { randomBytes } from "node:crypto";
import { decrypt, deriveKey, encrypt } from "../shared/secrets.js";

/** A Standard Webhooks signing secret: `whsec_` and 24 random bytes in base64. */
export function newEndpointSecret(): string {
  return `whsec_${randomBytes(24).toString("base64")}`;
}

// The endpoint id is bound as associated data, so a secret copied to another row won't decrypt.
const context = (endpointId: string) => `webhook_endpoint:${endpointId}`;

export function sealEndpointSecret(master: Buffer, endpointId: string, secret: string): Buffer {
  return encrypt(deriveKey(master, "webhook-secrets"), Buffer.from(secret, "utf8"), context(endpointId));
}

export function openEndpointSecret(master: Buffer, endpointId: string, sealed: Buffer): string {
  return decrypt(deriveKey(master, "webhook-secrets"), sealed, context(endpointId)).toString("utf8");
}
