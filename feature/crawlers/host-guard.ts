import { lookup as dnsLookup, type LookupAddress, type LookupAllOptions } from 'node:dns';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import type { CrawlerConfig } from '../../core/config/config-schema.ts';
import { CrawlError } from '../../core/errors.ts';

/** Why an address is refused as a crawl target. */
export type AddressClass = 'loopback' | 'private' | 'link-local' | 'unspecified' | 'reserved';

type GuardConfig = Pick<CrawlerConfig, 'allowPrivateNetworks' | 'allowLoopback'>;

function blockList(ranges: ReadonlyArray<readonly [string, number, 'ipv4' | 'ipv6']>): BlockList {
  const list = new BlockList();
  for (const [network, prefix, family] of ranges) list.addSubnet(network, prefix, family);
  return list;
}

// node's BlockList also matches IPv4-mapped IPv6 (::ffff:127.0.0.1) against IPv4 rules, which is
// exactly the bypass a guard has to catch.
const ranges: ReadonlyArray<readonly [AddressClass, BlockList]> = [
  [
    'unspecified',
    blockList([
      ['0.0.0.0', 8, 'ipv4'],
      ['::', 128, 'ipv6'],
    ]),
  ],
  [
    'loopback',
    blockList([
      ['127.0.0.0', 8, 'ipv4'],
      ['::1', 128, 'ipv6'],
    ]),
  ],
  [
    'private',
    blockList([
      ['10.0.0.0', 8, 'ipv4'],
      ['172.16.0.0', 12, 'ipv4'],
      ['192.168.0.0', 16, 'ipv4'],
      ['100.64.0.0', 10, 'ipv4'],
      ['fc00::', 7, 'ipv6'],
    ]),
  ],
  [
    'link-local',
    blockList([
      ['169.254.0.0', 16, 'ipv4'],
      ['fe80::', 10, 'ipv6'],
    ]),
  ],
  // Multicast and reserved space are never web servers; refused whatever the configuration says.
  [
    'reserved',
    blockList([
      ['224.0.0.0', 4, 'ipv4'],
      ['240.0.0.0', 4, 'ipv4'],
      ['ff00::', 8, 'ipv6'],
    ]),
  ],
];

/** The class of a non-public IP address, or null for a public one. */
export function classifyAddress(address: string): AddressClass | null {
  const family = isIP(address);
  if (family === 0) return null;
  const type = family === 4 ? 'ipv4' : 'ipv6';
  for (const [name, list] of ranges) if (list.check(address, type)) return name;
  // IPv4-compatible IPv6 (::a.b.c.d, deprecated but still routed by some stacks) carries a v4 address.
  const embedded = family === 6 ? embeddedIpv4(address) : null;
  return embedded ? classifyAddress(embedded) : null;
}

function embeddedIpv4(address: string): string | null {
  const match = /^::(?:([0-9a-f]{1,4}):([0-9a-f]{1,4})|(\d+\.\d+\.\d+\.\d+))$/i.exec(address);
  if (!match) return null;
  if (match[3]) return match[3];
  const high = Number.parseInt(match[1] ?? '0', 16);
  const low = Number.parseInt(match[2] ?? '0', 16);
  return [high >> 8, high & 0xff, low >> 8, low & 0xff].join('.');
}

/** Why `address` may not be contacted under `config`, or null when it may. */
export function refusalReason(address: string, config: GuardConfig): string | null {
  const kind = classifyAddress(address);
  if (kind === null) return null;
  if (kind === 'loopback' && config.allowLoopback) return null;
  if ((kind === 'private' || kind === 'link-local') && config.allowPrivateNetworks) return null;
  const hint =
    kind === 'loopback'
      ? ' (set crawler.allowLoopback to allow it)'
      : kind === 'private' || kind === 'link-local'
        ? ' (set crawler.allowPrivateNetworks to allow it)'
        : '';
  return `refused ${kind} address ${address}${hint}`;
}

/**
 * Parses `input` and refuses what can be refused before any network traffic: malformed URLs,
 * schemes other than http(s), credentials, and IP-literal hosts in refused ranges. Host names are
 * checked again at connect time by `createGuardedLookup`, since DNS may answer differently later.
 */
export function assertAllowedUrl(input: string | URL, config: GuardConfig): URL {
  let url: URL;
  try {
    url = new URL(input);
  } catch (error) {
    throw new CrawlError(String(input), 'malformed URL', { cause: error });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new CrawlError(url.href, `unsupported URL scheme ${url.protocol} (only http: and https:)`);
  }
  if (url.hostname === '') throw new CrawlError(url.href, 'URL has no host');
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  // node connects to IP literals without calling `lookup`, so literals must be checked here.
  const reason = isIP(host) ? refusalReason(host, config) : null;
  if (reason) throw new CrawlError(url.href, reason);
  return url;
}

/**
 * Resolves the URL's host and checks every address: for callers that connect by other means (git)
 * and so cannot use the connect-time `lookup`.
 */
export async function assertAllowedHost(input: string | URL, config: GuardConfig): Promise<URL> {
  const url = assertAllowedUrl(input, config);
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  if (isIP(host)) return url;
  const addresses = await new Promise<LookupAddress[]>((resolve, reject) => {
    dnsLookup(host, { all: true }, (error, found) => (error ? reject(error) : resolve(found)));
  }).catch((error: unknown) => {
    throw new CrawlError(url.href, `cannot resolve ${host}`, { cause: error, retryable: true });
  });
  for (const { address } of addresses) {
    const reason = refusalReason(address, config);
    if (reason) throw new CrawlError(url.href, `${host} resolves to a ${reason}`);
  }
  return url;
}

type Resolver = (hostname: string, options: LookupAllOptions, callback: ResolveCallback) => void;
type ResolveCallback = (error: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void;

/**
 * A `lookup` for node's http(s) `request` that refuses hosts resolving to refused addresses. It runs
 * at connect time for every hop, so DNS rebinding and redirects to internal hosts are caught too.
 * `resolve` is injectable so tests can play a rebinding DNS server.
 */
export function createGuardedLookup(config: GuardConfig, resolve: Resolver = dnsLookup): LookupFunction {
  return (hostname, options, callback) => {
    resolve(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, '', 4);
      const allowed = addresses.filter(({ address }) => refusalReason(address, config) === null);
      const first = allowed[0];
      if (!first) {
        const reason = addresses[0] ? refusalReason(addresses[0].address, config) : 'no address';
        return callback(new CrawlError(hostname, `${hostname} resolves to a ${reason}`), '', 4);
      }
      // node asks for every address when it races IPv4 and IPv6 (autoSelectFamily), else for one.
      if (options.all) return callback(null, allowed);
      return callback(null, first.address, first.family);
    });
  };
}
