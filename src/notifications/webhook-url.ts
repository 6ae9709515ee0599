import { type LookupAddress, lookup } from "node:dns";
import { BlockList, isIP, type LookupFunction } from "node:net";
import type { FieldError } from "../shared/errors.js";

/**
 * The SSRF guard of outgoing webhooks: an endpoint is a customer-chosen URL that our servers
 * call, so it must not reach our own loopback, private networks or cloud metadata service
 * (169.254.169.254). Checked at registration and again at every delivery, at connect time,
 * because a host name can be re-pointed after it was registered (DNS rebinding).
 */
const PRIVATE = new BlockList();
for (const [net, prefix] of [
  ["0.0.0.0", 8], // "this network"
  ["10.0.0.0", 8],
  ["100.64.0.0", 10], // carrier-grade NAT
  ["127.0.0.0", 8],
  ["169.254.0.0", 16], // link-local, cloud metadata
  ["172.16.0.0", 12],
  ["192.0.0.0", 24],
  ["192.168.0.0", 16],
  ["198.18.0.0", 15], // benchmarking
  ["224.0.0.0", 4], // multicast
  ["240.0.0.0", 4], // reserved, broadcast
] as const)
  PRIVATE.addSubnet(net, prefix, "ipv4");
for (const [net, prefix] of [
  ["::", 128],
  ["::1", 128],
  ["fc00::", 7], // unique local
  ["fe80::", 10], // link-local
  ["ff00::", 8], // multicast
  ["64:ff9b:1::", 48], // local-use NAT64
] as const)
  PRIVATE.addSubnet(net, prefix, "ipv6");

/** NAT64 (64:ff9b::/96) embeds an IPv4 address in its last 32 bits; judge that address. */
function nat64Embedded(address: string): string | null {
  const m = /^64:ff9b::(?:ffff:)?([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(address);
  if (!m) return null;
  const hi = Number.parseInt(m[1] ?? "0", 16);
  const lo = Number.parseInt(m[2] ?? "0", 16);
  return [hi >> 8, hi & 255, lo >> 8, lo & 255].join(".");
}

/** True for loopback, private, link-local, multicast and reserved addresses (IPv4-mapped IPv6 too). */
export function isPrivateAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return PRIVATE.check(address, "ipv4");
  if (family === 6) {
    const embedded = nat64Embedded(address);
    if (embedded) return PRIVATE.check(embedded, "ipv4");
    // BlockList also matches IPv4-mapped addresses (::ffff:127.0.0.1) against the IPv4 rules.
    return PRIVATE.check(address, "ipv6");
  }
  return true;
}

export type HostResolver = (hostname: string) => Promise<readonly string[]>;

export const resolveHost: HostResolver = (hostname) =>
  new Promise((resolve, reject) => {
    lookup(hostname, { all: true, verbatim: true }, (error, addresses: LookupAddress[]) => {
      if (error) reject(error);
      else resolve(addresses.map((a) => a.address));
    });
  });

const MAX_URL_LENGTH = 2000;

/**
 * The field error of an endpoint URL, or null when it may be called: http(s), no credentials
 * in it (they would end up in logs), and — unless private networks are allowed — a host whose
 * every address is public.
 */
export async function webhookUrlError(
  raw: string,
  options: { allowPrivateNetworks: boolean; resolve?: HostResolver },
  field = "url",
): Promise<FieldError | null> {
  if (raw.length > MAX_URL_LENGTH)
    return { field, code: "too_long", message: `has more than ${MAX_URL_LENGTH} characters` };
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { field, code: "invalid_url", message: "is not an absolute URL" };
  }
  if (url.protocol !== "https:" && url.protocol !== "http:")
    return { field, code: "unsupported_scheme", message: "must be an http or https URL" };
  if (url.username || url.password)
    return { field, code: "credentials_in_url", message: "must not contain a user name or password" };
  if (options.allowPrivateNetworks) return null;
  // WHATWG URL already normalised 0x7f.1 and 2130706433 to 127.0.0.1; IPv6 comes in brackets.
  const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
  let addresses: readonly string[];
  if (isIP(host)) addresses = [host];
  else {
    try {
      addresses = await (options.resolve ?? resolveHost)(host);
    } catch {
      return { field, code: "unresolvable_host", message: `the host ${host} does not resolve` };
    }
  }
  const blocked = addresses.find(isPrivateAddress);
  if (blocked || addresses.length === 0)
    return {
      field,
      code: "private_address",
      message: `must not point at a loopback, private or link-local address (${host} is ${blocked ?? "nowhere"})`,
    };
  return null;
}

/**
 * A `lookup` for node:http that refuses private addresses at connect time, so the address
 * checked is the address connected to.
 */
export const publicOnlyLookup: LookupFunction = (hostname, options, callback) => {
  lookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
    if (error) return callback(error, "", 0);
    const blocked = addresses.find((a) => isPrivateAddress(a.address));
    const first = addresses[0];
    if (blocked || !first) {
      const refused = Object.assign(
        new Error(`${hostname} resolves to a private address (${blocked?.address ?? "none"})`),
        { code: "EPRIVATEADDRESS" },
      );
      return callback(refused, "", 0);
    }
    // Node asks for every address when it races IPv4 and IPv6 (autoSelectFamily).
    if (options.all) (callback as (e: null, a: LookupAddress[]) => void)(null, addresses);
    else callback(null, first.address, first.family);
  });
};
