/**
 * A router's NAT as one nftables table in its qrouter- namespace (`table ip kumo-nat`), written
 * whole in one transaction. Floating IPs are two maps, so a change is one element and a packet
 * one lookup: DNAT in prerouting (floating → fixed), SNAT in postrouting (fixed → floating) for
 * traffic leaving through qg- and for hairpinned traffic. Internal subnets leave through qg- as
 * the gateway address when enable_snat is on. Hairpin (a server reaching another's floating IP
 * through the same router, as Neutron's `ct status dnat` SNAT rule does): the DNATed packet goes
 * back out a qr- port, so its source is rewritten to the sender's floating IP, or else the
 * gateway address, and the reply returns through the router to be un-NATed.
 */
import { nftTable, type NftTablePlan } from '../dataplane/nft-table.js';
import type { RouterNatPlan, RouterPlan } from '../dataplane/plan-router.js';

export const NAT_TABLE = 'kumo-nat';
export const NAT_FAMILY = 'ip';

/** The `elements = { ... }` line of a set or map, or nothing when it is empty (nft refuses `{ }`). */
function elements(items: readonly string[]): string[] {
  return items.length > 0 ? [`\t\telements = { ${items.join(', ')} }`] : [];
}

function quote(name: string): string {
  if (!/^[A-Za-z0-9_.-]{1,15}$/.test(name)) throw new Error(`nat: unsafe interface name ${JSON.stringify(name)}`);
  return `"${name}"`;
}

function address(ip: string): string {
  if (!/^\d{1,3}(\.\d{1,3}){3}(\/\d{1,2})?$/.test(ip)) throw new Error(`nat: not an IPv4 address ${JSON.stringify(ip)}`);
  return ip;
}

/** The table's body (sets, maps, chains) for the nft-table primitive. */
export function natTableBody(nat: RouterNatPlan): string {
  const qg = quote(nat.gatewayDevice);
  const fips = [...nat.floatingIps].sort((a, b) => a.address.localeCompare(b.address));
  const lines = [
    '\tmap fip_dnat {', '\t\ttype ipv4_addr : ipv4_addr', ...elements(fips.map((f) => `${address(f.address)} : ${address(f.fixedIp)}`)), '\t}',
    '\tmap fip_snat {', '\t\ttype ipv4_addr : ipv4_addr', ...elements(fips.map((f) => `${address(f.fixedIp)} : ${address(f.address)}`)), '\t}',
    '\tset internal {', '\t\ttype ipv4_addr', '\t\tflags interval', ...elements(nat.internalSubnets.map(address)), '\t}',
    '\tset snat_sources {', '\t\ttype ipv4_addr', '\t\tflags interval', ...elements(nat.snatSources.map(address)), '\t}',
    '\tchain prerouting {',
    '\t\ttype nat hook prerouting priority dstnat; policy accept;',
    '\t\tdnat to ip daddr map @fip_dnat',
    '\t}',
    '\tchain postrouting {',
    '\t\ttype nat hook postrouting priority srcnat; policy accept;',
    `\t\toifname ${qg} snat to ip saddr map @fip_snat`,
    '\t\tct status dnat ip saddr @internal snat to ip saddr map @fip_snat',
    ...(nat.gatewayIp ? [
      `\t\toifname ${qg} ip saddr @snat_sources snat to ${address(nat.gatewayIp)}`,
      `\t\tct status dnat ip saddr @internal snat to ${address(nat.gatewayIp)}`,
    ] : []),
    '\t}',
  ];
  return `${lines.join('\n')}\n`;
}

/** One NAT table per router with a gateway, in its qrouter- namespace. */
export function routerNatTables(routers: readonly RouterPlan[]): NftTablePlan[] {
  return routers.flatMap((r) => (r.nat ? [nftTable(r.ns, NAT_FAMILY, NAT_TABLE, natTableBody(r.nat))] : []));
}
