/**
 * dnsmasq for one network, as Neutron's DHCP agent runs it (neutron/agent/linux/dhcp.py): the
 * `host` file (`<mac>,host-10-0-0-5.openstacklocal,10.0.0.5[,set:port-<id>]`), `addn_hosts`
 * (`<ip>\t<fqdn> <name>`), `opts` (router, DNS servers, classless static routes, the ports'
 * extra_dhcp_opts) and the command line (one static --dhcp-range per subnet, MTU as option 26).
 * Pure: the agent's compiler calls it. Every value reaching a file is checked again here, so a
 * row that slipped past the API's validation is dropped rather than written into dnsmasq's config.
 */
import { join } from 'node:path';
import { addressCount, formatIp, parseCidr, parseIp } from '../network/ipam/ip.js';
import type { DhcpFiles } from '../dataplane/plan.js';
import type { ModelDhcpOpt, ModelPort, ModelSubnet } from './model.js';

export interface DhcpSettings {
  readonly domain: string;
  readonly leaseSeconds: number;
}

/** Where guests find the metadata service (a link-local address every cloud uses). */
export const METADATA_ADDRESS = '169.254.169.254';

const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;
const OPT_NAME = /^(?:option6?:)?[A-Za-z0-9][A-Za-z0-9._-]*$/;
const KEYWORD = /^(?:tag|set|option|option6|vendor|encap|vi-encap|net|id|tag-if):/i;
const DNS_NAME = /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

/** An IPv4 address in canonical form, or null. */
function ipv4(text: string | null | undefined): string | null {
  if (!text) return null;
  const ip = parseIp(text);
  return ip?.version === 4 ? formatIp(4, ip.value) : null;
}

function netmask(prefix: number): string {
  const mask = prefix === 0 ? 0n : ((1n << 32n) - 1n) ^ ((1n << BigInt(32 - prefix)) - 1n);
  return formatIp(4, mask);
}

/** A value dnsmasq reads as data and nothing else: no control characters, quotes, backslashes or keywords. */
export function safeOptValue(value: string): boolean {
  // eslint-disable-next-line no-control-regex
  if (value.length > 255 || /[\x00-\x1f\x7f"\\]/.test(value)) return false;
  return value.trim() === '' || value.split(',').every((item) => item.trim() !== '' && !KEYWORD.test(item.trim()));
}

/** The hostname Neutron gives a port: its dns_name, else host-<address with dashes>. */
export function hostnameOf(port: Pick<ModelPort, 'dnsName'>, ip: string): string {
  return port.dnsName && DNS_NAME.test(port.dnsName) ? port.dnsName : `host-${ip.replaceAll('.', '-')}`;
}

export interface DhcpSubnet extends ModelSubnet {
  readonly prefix: number;
  readonly network: string;
}

/** The network's IPv4 subnets that serve DHCP, with their parsed prefixes. */
export function dhcpSubnets(subnets: readonly ModelSubnet[]): DhcpSubnet[] {
  const out: DhcpSubnet[] = [];
  for (const s of subnets) {
    if (!s.enableDhcp || s.ipVersion !== 4) continue;
    const c = parseCidr(s.cidr);
    if (!c || c.version !== 4) continue;
    out.push({ ...s, prefix: c.prefixLength, network: formatIp(4, c.network) });
  }
  return out;
}

function extraOpts(port: ModelPort): ModelDhcpOpt[] {
  return port.extraDhcpOpts.filter((o) => o.ip_version === 4 && OPT_NAME.test(o.opt_name) && safeOptValue(o.opt_value));
}

function optionKey(name: string): string {
  if (/^\d+$/.test(name) || name.startsWith('option:')) return name;
  if (name.startsWith('option6:')) return name;
  return `option:${name}`;
}

/**
 * metadataVia: subnet id → the DHCP port's address in it, when the network's metadata proxy
 * listens in its qdhcp- namespace: the guest gets a host route to 169.254.169.254 through that
 * address (Neutron's isolated metadata), so it reaches the proxy with or without a router.
 */
export function renderFiles(subnets: readonly DhcpSubnet[], ports: readonly ModelPort[], settings: DhcpSettings,
  metadataVia: ReadonlyMap<string, string> = new Map()): { files: DhcpFiles; allowed: { mac: string; ip: string }[] } {
  const served = new Set(subnets.map((s) => s.id));
  const host: string[] = [];
  const addn: string[] = [];
  const opts: string[] = [];
  const allowed: { mac: string; ip: string }[] = [];
  for (const s of subnets) {
    const tag = `tag:subnet-${s.id}`;
    const dns = s.dnsNameservers.map(ipv4).filter((d): d is string => d !== null);
    if (dns.length) opts.push(`${tag},option:dns-server,${dns.join(',')}`);
    const gateway = ipv4(s.gatewayIp);
    const routes: string[] = [];
    for (const r of s.hostRoutes) {
      const dest = parseCidr(r.destination);
      const hop = ipv4(r.nexthop);
      if (dest?.version === 4 && hop) routes.push(`${formatIp(4, dest.network)}/${dest.prefixLength},${hop}`);
    }
    const metadataHop = ipv4(metadataVia.get(s.id));
    if (metadataHop) routes.push(`${METADATA_ADDRESS}/32,${metadataHop}`);
    // A client that takes option 121 ignores option 3: the default route rides along (RFC 3442).
    if (routes.length) {
      if (gateway) routes.push(`0.0.0.0/0,${gateway}`);
      opts.push(`${tag},option:classless-static-route,${routes.join(',')}`);
      opts.push(`${tag},249,${routes.join(',')}`);
    }
    opts.push(gateway ? `${tag},option:router,${gateway}` : `${tag},option:router`);
  }
  for (const port of ports) {
    if (!MAC.test(port.mac)) continue;
    const extra = extraOpts(port);
    for (const a of port.fixedIps) {
      const ip = ipv4(a.ip);
      if (!served.has(a.subnetId) || !ip) continue;
      const name = hostnameOf(port, ip);
      const fqdn = `${name}.${settings.domain}`;
      host.push(`${port.mac},${fqdn},${ip}${extra.length ? `,set:port-${port.id}` : ''}`);
      addn.push(`${ip}\t${fqdn} ${name}`);
      allowed.push({ mac: port.mac, ip });
    }
    for (const o of extra) opts.push(`tag:port-${port.id},${optionKey(o.opt_name)},${o.opt_value}`);
  }
  const text = (lines: string[]) => (lines.length ? `${lines.join('\n')}\n` : '');
  return { files: { host: text(host), opts: text(opts), addn_hosts: text(addn) }, allowed };
}

/** dnsmasq's command line, Neutron's options; the files live in dir. */
export function dnsmasqArgv(dir: string, device: string, subnets: readonly DhcpSubnet[], mtu: number, settings: DhcpSettings): string[] {
  const leases = subnets.reduce((n, s) => n + Number(addressCount({ version: 4, network: 0n, prefixLength: s.prefix, bits: 32 })), 0);
  return [
    'dnsmasq', '--no-hosts', '--no-resolv', '--conf-file=/dev/null',
    `--pid-file=${join(dir, 'pid')}`,
    `--dhcp-hostsfile=${join(dir, 'host')}`,
    `--addn-hosts=${join(dir, 'addn_hosts')}`,
    `--dhcp-optsfile=${join(dir, 'opts')}`,
    `--dhcp-leasefile=${join(dir, 'leases')}`,
    `--log-facility=${join(dir, 'log')}`,
    // $KUMO_HOME is private to its owner: dnsmasq keeps root's rights to re-read its files on SIGHUP.
    '--user=root', '--group=root',
    `--interface=${device}`, '--except-interface=lo', '--bind-interfaces',
    ...subnets.map((s) => `--dhcp-range=set:subnet-${s.id},${s.network},static,${netmask(s.prefix)},${settings.leaseSeconds}s`),
    `--dhcp-option-force=option:mtu,${mtu}`,
    `--dhcp-lease-max=${Math.min(Math.max(leases, 1), 2 ** 24)}`,
    `--domain=${settings.domain}`,
  ];
}
