import { isIP } from 'node:net';
import { listSetting } from '../env-settings.ts';

/** Why an address may not be reached from the gateway: the range it falls in. */
export type RefusedRange =
  | 'unspecified'
  | 'loopback'
  | 'private'
  | 'cgnat'
  | 'link-local'
  | 'cloud-metadata'
  | 'unique-local'
  | 'site-local'
  | 'multicast'
  | 'documentation'
  | 'reserved'
  | 'ipv4-compatible';

/** Decides which IP addresses outbound requests (harvest, OIDC discovery) may connect to. */
export interface AddressPolicy {
  /** Null when the address may be reached; else the refused range it falls in. */
  refusal(address: string): RefusedRange | null;
}

interface Cidr {
  family: 4 | 6;
  base: bigint;
  bits: number;
}

// Cloud metadata services first: they are the prize of most SSRF attacks and get a name of their own.
const REFUSED_V4: [string, RefusedRange][] = [
  ['169.254.169.254/32', 'cloud-metadata'], // AWS, GCP, Azure, OpenStack
  ['169.254.170.2/32', 'cloud-metadata'], // AWS ECS task metadata
  ['100.100.100.200/32', 'cloud-metadata'], // Alibaba Cloud
  ['168.63.129.16/32', 'cloud-metadata'], // Azure WireServer (a public address)
  ['192.0.0.192/32', 'cloud-metadata'], // Oracle Cloud
  ['0.0.0.0/8', 'unspecified'],
  ['127.0.0.0/8', 'loopback'],
  ['10.0.0.0/8', 'private'],
  ['172.16.0.0/12', 'private'],
  ['192.168.0.0/16', 'private'],
  ['100.64.0.0/10', 'cgnat'],
  ['169.254.0.0/16', 'link-local'],
  ['192.0.0.0/24', 'reserved'],
  ['192.0.2.0/24', 'documentation'],
  ['198.51.100.0/24', 'documentation'],
  ['203.0.113.0/24', 'documentation'],
  ['198.18.0.0/15', 'reserved'],
  ['224.0.0.0/4', 'multicast'],
  ['240.0.0.0/4', 'reserved'],
];

const REFUSED_V6: [string, RefusedRange][] = [
  ['fd00:ec2::254/128', 'cloud-metadata'], // AWS over IPv6
  ['::/128', 'unspecified'],
  ['::1/128', 'loopback'],
  ['::/96', 'ipv4-compatible'],
  ['fc00::/7', 'unique-local'],
  ['fe80::/10', 'link-local'],
  ['fec0::/10', 'site-local'],
  ['ff00::/8', 'multicast'],
  ['2001:db8::/32', 'documentation'],
  ['100::/64', 'reserved'],
];

function parseV4(text: string): bigint | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  let value = 0n;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part) || Number(part) > 255) return null;
    value = (value << 8n) | BigInt(part);
  }
  return value;
}

function parseV6(text: string): bigint | null {
  let address = text.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  // A trailing dotted quad (::ffff:127.0.0.1) becomes two hextets.
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(address);
  if (dotted) {
    const v4 = parseV4(dotted[1]!);
    if (v4 === null) return null;
    address = `${address.slice(0, -dotted[1]!.length)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const halves = address.split('::');
  if (halves.length > 2) return null;
  const head = halves[0] ? halves[0].split(':') : [];
  const tail = halves.length === 2 && halves[1] ? halves[1].split(':') : [];
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return null;
  const groups = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...tail];
  let value = 0n;
  for (const group of groups) {
    if (!/^[0-9a-f]{1,4}$/i.test(group)) return null;
    value = (value << 16n) | BigInt(parseInt(group, 16));
  }
  return value;
}

function parseCidr(text: string): Cidr {
  const [address = '', bitsText] = text.trim().split('/');
  const family = isIP(address);
  if (family !== 4 && family !== 6) throw new Error(`not an IP address range: ${JSON.stringify(text)}`);
  const width = family === 4 ? 32 : 128;
  const bits = bitsText === undefined ? width : Number(bitsText);
  if (!Number.isInteger(bits) || bits < 0 || bits > width)
    throw new Error(`bad prefix length in ${JSON.stringify(text)}`);
  const value = family === 4 ? parseV4(address)! : parseV6(address)!;
  const shift = BigInt(width - bits);
  return { family, base: (value >> shift) << shift, bits };
}

function contains(cidr: Cidr, family: 4 | 6, value: bigint): boolean {
  if (cidr.family !== family) return false;
  const shift = BigInt((family === 4 ? 32 : 128) - cidr.bits);
  return value >> shift === cidr.base >> shift;
}

/**
 * The IPv4 address an IPv6 address carries, when it carries one that the network will route to:
 * IPv4-mapped (::ffff:a.b.c.d), NAT64 (64:ff9b::a.b.c.d) and 6to4 (2002:aabb:ccdd::).
 */
function embeddedV4(value: bigint): bigint | null {
  if (value >> 32n === 0xffffn) return value & 0xffffffffn;
  if (value >> 32n === 0x64ff9b0000000000000000n) return value & 0xffffffffn;
  if (value >> 112n === 0x2002n) return (value >> 80n) & 0xffffffffn;
  return null;
}

/**
 * Builds the address policy: loopback, private, CGNAT, link-local, cloud-metadata, unique-local IPv6
 * and the other special-purpose ranges are refused, including when they hide inside an IPv6 address
 * (IPv4-mapped, NAT64, 6to4), unless a range in `allowed` (CIDR notation, "127.0.0.0/8") covers them.
 */
export function createAddressPolicy(allowed: readonly string[] = []): AddressPolicy {
  const allowList = allowed.filter((a) => a.trim() !== '').map(parseCidr);
  const refusedV4 = REFUSED_V4.map(([cidr, range]) => [parseCidr(cidr), range] as const);
  const refusedV6 = REFUSED_V6.map(([cidr, range]) => [parseCidr(cidr), range] as const);
  const isAllowed = (family: 4 | 6, value: bigint) => allowList.some((c) => contains(c, family, value));
  const check = (family: 4 | 6, value: bigint): RefusedRange | null => {
    if (isAllowed(family, value)) return null;
    const list = family === 4 ? refusedV4 : refusedV6;
    return list.find(([cidr]) => contains(cidr, family, value))?.[1] ?? null;
  };
  return {
    refusal(address) {
      const bare = address.replace(/^\[|\]$/g, '');
      const family = isIP(bare.replace(/%.*$/, ''));
      if (family === 4) return check(4, parseV4(bare)!);
      if (family !== 6) return 'reserved';
      const value = parseV6(bare);
      if (value === null) return 'reserved';
      const v4 = embeddedV4(value);
      // An IPv4 address inside IPv6 is judged as the IPv4 address it reaches, unless the IPv6 form
      // itself is allowed explicitly.
      if (v4 !== null) return isAllowed(6, value) ? null : check(4, v4);
      return check(6, value);
    },
  };
}

/** Parses a comma-separated list of CIDR ranges (OUTBOUND_ALLOWED_ADDRESSES); throws on a bad one. */
export function parseAddressRanges(text: string): string[] {
  const ranges = listSetting(text);
  for (const range of ranges) parseCidr(range);
  return ranges;
}
