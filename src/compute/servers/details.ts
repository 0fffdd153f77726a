/**
 * Everything a server view shows beyond its row, loaded for many servers at once (a detail
 * list of a thousand servers is a handful of queries): metadata, tags, addresses from the
 * server's ports, the security groups on those ports, faults, server groups, host status.
 */
import type { InstanceFaultRow, InstanceRow } from '../../store/schema-servers.js';
import type { Db, Tx } from '../../store/store.js';
import { hostAlive } from '../../hosts/registry.js';
import { groupBy } from '../../util/group.js';

export interface ServerAddress {
  readonly network: string;
  readonly version: 4 | 6;
  readonly addr: string;
  readonly type: 'fixed' | 'floating';
  readonly mac: string;
}

export interface ServerExtras {
  readonly metadata: Readonly<Record<string, string>>;
  readonly tags: readonly string[];
  readonly addresses: readonly ServerAddress[];
  /** Names of the groups on the server's ports (none: the server has no port with a group). */
  readonly securityGroups: readonly string[];
  readonly fault: InstanceFaultRow | null;
  readonly serverGroups: readonly string[];
  /** UP, DOWN, MAINTENANCE or '' (no host), for microversion 2.16. */
  readonly hostStatus: string;
  /** The availability zone the server was created in by request (2.96), else null. */
  readonly pinnedAvailabilityZone: string | null;
}

export interface ExtrasOptions {
  readonly faults?: boolean;
  readonly hostStatus?: boolean;
  readonly serverGroups?: boolean;
}

// Well under SQLite's and PostgreSQL's bound-parameter limits; a 1,000-server page is one query per table.
const CHUNK = 1000;

async function inChunks<T>(ids: readonly string[], run: (chunk: string[]) => Promise<T[]>): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < ids.length; i += CHUNK) out.push(...await run(ids.slice(i, i + CHUNK)));
  return out;
}

function ipVersion(addr: string): 4 | 6 {
  return addr.includes(':') ? 6 : 4;
}

export async function loadExtras(db: Db | Tx, rows: readonly InstanceRow[], options: ExtrasOptions = {}): Promise<Map<string, ServerExtras>> {
  const ids = rows.map((r) => r.uuid);
  const result = new Map<string, ServerExtras>();
  if (ids.length === 0) return result;
  const [meta, tags, ports, ips, groups, faults, members, hosts, floating, pinned] = await Promise.all([
    inChunks(ids, (c) => db.selectFrom('instance_metadata').select(['instance_uuid', 'key', 'value']).where('instance_uuid', 'in', c).orderBy('key').execute()),
    inChunks(ids, (c) => db.selectFrom('instance_tags').select(['instance_uuid', 'tag']).where('instance_uuid', 'in', c).orderBy('tag').execute()),
    inChunks(ids, (c) => db.selectFrom('instance_interfaces')
      .innerJoin('ports', 'ports.id', 'instance_interfaces.port_id')
      .innerJoin('networks', 'networks.id', 'ports.network_id')
      .select(['instance_interfaces.instance_uuid', 'instance_interfaces.position', 'ports.id as port_id', 'ports.mac_address', 'networks.name as network_name'])
      .where('instance_interfaces.instance_uuid', 'in', c).execute()),
    inChunks(ids, (c) => db.selectFrom('instance_interfaces')
      .innerJoin('ip_allocations', 'ip_allocations.port_id', 'instance_interfaces.port_id')
      .innerJoin('subnets', 'subnets.id', 'ip_allocations.subnet_id')
      .select(['ip_allocations.port_id', 'ip_allocations.ip_address', 'subnets.created_at'])
      .where('instance_interfaces.instance_uuid', 'in', c).execute()),
    inChunks(ids, (c) => db.selectFrom('instance_interfaces')
      .innerJoin('port_security_groups', 'port_security_groups.port_id', 'instance_interfaces.port_id')
      .innerJoin('security_groups', 'security_groups.id', 'port_security_groups.security_group_id')
      .select(['instance_interfaces.instance_uuid', 'instance_interfaces.position', 'security_groups.id', 'security_groups.name'])
      .where('instance_interfaces.instance_uuid', 'in', c).execute()),
    options.faults
      ? inChunks(ids.filter((_, i) => rows[i]?.vm_state === 'error' || rows[i]?.deleted === 1),
        (c) => db.selectFrom('instance_faults').selectAll().where('instance_uuid', 'in', c).orderBy('id', 'desc').execute())
      : Promise.resolve([] as InstanceFaultRow[]),
    options.serverGroups
      ? inChunks(ids, (c) => db.selectFrom('server_group_members').select(['server_id', 'group_id']).where('server_id', 'in', c).execute())
      : Promise.resolve([] as { server_id: string; group_id: string }[]),
    options.hostStatus
      ? db.selectFrom('hosts').select(['name', 'enabled', 'heartbeat_at', 'forced_down']).execute()
      : Promise.resolve([]),
    inChunks(ids, (c) => db.selectFrom('instance_interfaces')
      .innerJoin('floatingips', 'floatingips.fixed_port_id', 'instance_interfaces.port_id')
      .select(['floatingips.fixed_port_id', 'floatingips.fixed_ip_address', 'floatingips.floating_ip_address', 'floatingips.created_at'])
      .where('instance_interfaces.instance_uuid', 'in', c).execute()),
    inChunks(ids, (c) => db.selectFrom('instance_system_metadata').select(['instance_uuid', 'value'])
      .where('key', '=', 'pinned_availability_zone').where('instance_uuid', 'in', c).execute()),
  ]);
  const metaBy = groupBy(meta, (r) => r.instance_uuid);
  const tagsBy = groupBy(tags, (r) => r.instance_uuid);
  const portsBy = groupBy(ports, (r) => r.instance_uuid);
  const ipsBy = groupBy(ips, (r) => r.port_id);
  const groupsBy = groupBy(groups, (r) => r.instance_uuid);
  const faultsBy = groupBy(faults, (r) => r.instance_uuid);
  const membersBy = groupBy(members, (r) => r.server_id);
  const hostBy = new Map(hosts.map((h) => [h.name, h]));
  const floatingBy = groupBy(floating, (r) => `${r.fixed_port_id}|${r.fixed_ip_address}`);
  const pinnedBy = new Map(pinned.map((p) => [p.instance_uuid, p.value]));
  for (const row of rows) {
    const addresses: ServerAddress[] = [];
    for (const p of (portsBy.get(row.uuid) ?? []).sort((a, b) => a.position - b.position)) {
      const portIps = (ipsBy.get(p.port_id) ?? []).sort((a, b) => a.created_at.localeCompare(b.created_at));
      for (const ip of portIps) {
        addresses.push({ network: p.network_name, version: ipVersion(ip.ip_address), addr: ip.ip_address, type: 'fixed', mac: p.mac_address });
        // A floating IP shows right after the fixed address it is associated with, as in Nova's network info.
        for (const f of (floatingBy.get(`${p.port_id}|${ip.ip_address}`) ?? []).sort((a, b) => a.created_at.localeCompare(b.created_at))) {
          addresses.push({ network: p.network_name, version: ipVersion(f.floating_ip_address), addr: f.floating_ip_address, type: 'floating', mac: p.mac_address });
        }
      }
    }
    const sgNames: string[] = [];
    for (const g of (groupsBy.get(row.uuid) ?? []).sort((a, b) => a.position - b.position)) {
      const name = g.name || g.id;
      if (!sgNames.includes(name)) sgNames.push(name);
    }
    const host = row.host ? hostBy.get(row.host) : undefined;
    const hostStatus = !row.host ? '' : !host ? 'UNKNOWN' : !hostAlive(host) ? 'DOWN' : host.enabled === 1 ? 'UP' : 'MAINTENANCE';
    result.set(row.uuid, {
      metadata: Object.fromEntries((metaBy.get(row.uuid) ?? []).map((m) => [m.key, m.value])),
      tags: (tagsBy.get(row.uuid) ?? []).map((t) => t.tag),
      addresses,
      securityGroups: sgNames,
      fault: faultsBy.get(row.uuid)?.[0] ?? null,
      serverGroups: (membersBy.get(row.uuid) ?? []).map((m) => m.group_id),
      hostStatus,
      pinnedAvailabilityZone: pinnedBy.get(row.uuid) ?? null,
    });
  }
  return result;
}
