/**
 * The desired state an agent compiles, read from the store in a handful of queries: hosts and
 * their underlay addresses, networks with segments, subnets, ports with addresses, and which
 * host serves each network's DHCP. Immutable plain data; compile.ts never touches the store.
 */
import type { Db } from '../store/store.js';
import { selectAllPacked } from '../store/packed.js';
import { DHCP_AGENT } from '../network/agents/records.js';
import type { GuestSubnet } from '../network/subnets/guest.js';
import { loadL3Model, type L3Model } from './model-l3.js';
import { loadFirewallModel, type FirewallModel } from './model-firewall.js';
import { parseJsonArrayLenient } from '../util/json.js';

export interface ModelHost {
  readonly name: string;
  readonly underlayIp: string | null;
}

export interface ModelSegment {
  readonly networkType: string;
  readonly physicalNetwork: string | null;
  readonly segmentationId: number | null;
}

export interface ModelNetwork {
  readonly id: string;
  readonly mtu: number;
  readonly adminStateUp: boolean;
  readonly segments: readonly ModelSegment[];
}

export interface ModelSubnet extends GuestSubnet {
  readonly networkId: string;
}

export interface ModelDhcpOpt {
  readonly opt_name: string;
  readonly opt_value: string;
  readonly ip_version: number;
}

export interface ModelPort {
  readonly id: string;
  readonly networkId: string;
  readonly mac: string;
  readonly deviceOwner: string;
  readonly deviceId: string;
  readonly hostId: string;
  readonly adminStateUp: boolean;
  readonly status: string;
  readonly vifType: string;
  readonly dnsName: string;
  readonly fixedIps: readonly { readonly subnetId: string; readonly ip: string }[];
  readonly extraDhcpOpts: readonly ModelDhcpOpt[];
}

export interface Model {
  readonly hosts: readonly ModelHost[];
  readonly networks: readonly ModelNetwork[];
  readonly subnets: readonly ModelSubnet[];
  readonly ports: readonly ModelPort[];
  /** network id → the hosts whose DHCP agent serves it. */
  readonly dhcpHosts: ReadonlyMap<string, readonly string[]>;
  /** Routers, floating IPs and external networks (model-l3.ts); absent means none. */
  readonly l3?: L3Model;
  /** Security groups, rules and port security (model-firewall.ts); absent means no firewall. */
  readonly firewall?: FirewallModel;
}

export async function loadModel(db: Db): Promise<Model> {
  const [hosts, networks, segments, subnets, ports, ips, bindings, l3, firewall] = await Promise.all([
    db.selectFrom('hosts').select(['name', 'underlay_ip']).orderBy('name').execute(),
    db.selectFrom('networks').select(['id', 'mtu', 'admin_state_up']).orderBy('id').execute(),
    db.selectFrom('network_segments').select(['network_id', 'network_type', 'physical_network', 'segmentation_id', 'segment_index'])
      .orderBy('network_id').orderBy('segment_index').execute(),
    db.selectFrom('subnets').select(['id', 'network_id', 'ip_version', 'cidr', 'gateway_ip', 'enable_dhcp', 'dns_nameservers', 'host_routes'])
      .orderBy('network_id').orderBy('created_at').orderBy('id').execute(),
    selectAllPacked(db, 'ports', ['id', 'network_id', 'mac_address', 'device_owner', 'device_id', 'binding_host_id', 'admin_state_up',
      'status', 'binding_vif_type', 'dns_name', 'extra_dhcp_opts'], ['id']),
    selectAllPacked(db, 'ip_allocations', ['port_id', 'subnet_id', 'ip_address']),
    db.selectFrom('network_dhcp_agent_bindings').innerJoin('agents', 'agents.id', 'network_dhcp_agent_bindings.agent_id')
      .select(['network_dhcp_agent_bindings.network_id', 'agents.host']).where('agents.agent_type', '=', DHCP_AGENT)
      .orderBy('network_dhcp_agent_bindings.created_at').execute(),
    loadL3Model(db),
    loadFirewallModel(db),
  ]);
  const segmentsOf = new Map<string, ModelSegment[]>();
  for (const s of segments) {
    const list = segmentsOf.get(s.network_id) ?? [];
    list.push({ networkType: s.network_type, physicalNetwork: s.physical_network, segmentationId: s.segmentation_id === null ? null : Number(s.segmentation_id) });
    segmentsOf.set(s.network_id, list);
  }
  const ipsOf = new Map<string, { subnetId: string; ip: string }[]>();
  for (const a of ips) {
    const list = ipsOf.get(a.port_id) ?? [];
    list.push({ subnetId: a.subnet_id, ip: a.ip_address });
    ipsOf.set(a.port_id, list);
  }
  const dhcpHosts = new Map<string, string[]>();
  for (const b of bindings) dhcpHosts.set(b.network_id, [...(dhcpHosts.get(b.network_id) ?? []), b.host]);
  return {
    hosts: hosts.map((h) => ({ name: h.name, underlayIp: h.underlay_ip })),
    networks: networks.map((n) => ({ id: n.id, mtu: Number(n.mtu), adminStateUp: Number(n.admin_state_up) === 1, segments: segmentsOf.get(n.id) ?? [] })),
    subnets: subnets.map((s) => ({
      id: s.id, networkId: s.network_id, ipVersion: Number(s.ip_version), cidr: s.cidr, gatewayIp: s.gateway_ip, enableDhcp: Number(s.enable_dhcp) === 1,
      dnsNameservers: parseJsonArrayLenient<string>(s.dns_nameservers),
      hostRoutes: parseJsonArrayLenient<{ destination: string; nexthop: string }>(s.host_routes),
    })),
    ports: ports.map((p) => ({
      id: p.id, networkId: p.network_id, mac: p.mac_address.toLowerCase(), deviceOwner: p.device_owner, deviceId: p.device_id, hostId: p.binding_host_id,
      adminStateUp: Number(p.admin_state_up) === 1, status: p.status, vifType: p.binding_vif_type, dnsName: p.dns_name,
      fixedIps: (ipsOf.get(p.id) ?? []).sort((a, b) => a.subnetId.localeCompare(b.subnetId) || a.ip.localeCompare(b.ip)),
      extraDhcpOpts: parseJsonArrayLenient<ModelDhcpOpt>(p.extra_dhcp_opts).filter((o) => typeof o.opt_value === 'string'),
    })),
    dhcpHosts,
    l3,
    firewall,
  };
}
