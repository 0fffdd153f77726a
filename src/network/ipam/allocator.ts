/**
 * IP address management. An allocation is a row keyed by (subnet, address), so the database
 * itself refuses a duplicate, whichever controller asks. "Any free address" takes the lowest
 * free one of the subnet's allocation pools; a lost race on that address simply moves on to
 * the next candidate (ON CONFLICT DO NOTHING keeps a PostgreSQL transaction usable).
 */
import { ApiError } from '../../api/errors.js';
import type { Tx } from '../../store/store.js';
import type { SubnetRow } from '../../store/schema-network.js';
import { parseJsonArray } from '../../util/json.js';
import { cidrContains, formatIp, parseCidr, parseIp, type IpVersion } from './ip.js';

export interface Pool {
  readonly start: string;
  readonly end: string;
}

export const noMoreAddresses = (networkId: string) =>
  new ApiError('conflict', `No more IP addresses available on network ${networkId}.`, { type: 'IpAddressGenerationFailure' });

export const alreadyAllocated = (ip: string, subnetId: string) =>
  new ApiError('conflict', `IP address ${ip} already allocated in subnet ${subnetId}`, { type: 'IpAddressAlreadyAllocated' });

export const invalidIpForSubnet = (ip: string, subnetId: string) =>
  new ApiError('badRequest', `IP address ${ip} is not a valid IP for the specified subnet.`, { type: 'InvalidIpForSubnet', detail: subnetId });

async function tryInsert(tx: Tx, subnet: SubnetRow, ip: string, portId: string): Promise<boolean> {
  const result = await tx.insertInto('ip_allocations')
    .values({ subnet_id: subnet.id, ip_address: ip, network_id: subnet.network_id, port_id: portId })
    .onConflict((oc) => oc.columns(['subnet_id', 'ip_address']).doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0n) > 0;
}

/** Allocates the given address (it must lie in the subnet, pool or not) to the port. */
export async function allocateSpecific(tx: Tx, subnet: SubnetRow, address: string, portId: string): Promise<string> {
  const ip = parseIp(address);
  const cidr = parseCidr(subnet.cidr);
  if (!ip || !cidr || !cidrContains(cidr, ip.version, ip.value)) throw invalidIpForSubnet(address, subnet.id);
  const canonical = formatIp(ip.version, ip.value);
  if (!(await tryInsert(tx, subnet, canonical, portId))) throw alreadyAllocated(canonical, subnet.id);
  return canonical;
}

/** Canonical dotted-quad to a number: cheap enough to run over every taken address. */
function v4Number(text: string): number {
  const [a, b, c, d] = text.split('.');
  return ((Number(a) * 256 + Number(b)) * 256 + Number(c)) * 256 + Number(d);
}

function v4Text(value: number): string {
  return `${Math.floor(value / 16777216) % 256}.${Math.floor(value / 65536) % 256}.${Math.floor(value / 256) % 256}.${value % 256}`;
}

/**
 * IPv4 fast path of allocateAny: plain numbers instead of BigInt, since the taken set is read
 * on every allocation and BigInt parsing dominated port creation on a busy subnet.
 */
async function allocateAnyV4(tx: Tx, subnet: SubnetRow, portId: string): Promise<string | null> {
  const pools = parseJsonArray<Pool>(subnet.allocation_pools)
    .map((p) => ({ start: v4Number(p.start), end: v4Number(p.end) }))
    .sort((a, b) => a.start - b.start);
  for (let attempt = 0; attempt < 20; attempt++) {
    const rows = await tx.selectFrom('ip_allocations').select('ip_address').where('subnet_id', '=', subnet.id).execute();
    const taken = new Set(rows.map((r) => v4Number(r.ip_address)));
    let candidate: number | null = null;
    for (const pool of pools) {
      for (let v = pool.start; v <= pool.end; v++) {
        if (!taken.has(v)) { candidate = v; break; }
      }
      if (candidate !== null) break;
    }
    if (candidate === null) return null;
    const text = v4Text(candidate);
    if (await tryInsert(tx, subnet, text, portId)) return text;
  }
  return null;
}

/** Allocates the lowest free address of the subnet's pools; null when the pools are full. */
export async function allocateAny(tx: Tx, subnet: SubnetRow, portId: string): Promise<string | null> {
  if (subnet.ip_version === 4) return allocateAnyV4(tx, subnet, portId);
  const version = subnet.ip_version as IpVersion;
  const pools = parseJsonArray<Pool>(subnet.allocation_pools)
    .map((p) => ({ start: parseIp(p.start)?.value ?? 0n, end: parseIp(p.end)?.value ?? -1n }))
    .sort((a, b) => (a.start < b.start ? -1 : 1));
  for (let attempt = 0; attempt < 20; attempt++) {
    const taken = new Set((await tx.selectFrom('ip_allocations').select('ip_address').where('subnet_id', '=', subnet.id).execute())
      .map((r) => parseIp(r.ip_address)?.value ?? -1n));
    let candidate: bigint | null = null;
    for (const pool of pools) {
      for (let v = pool.start; v <= pool.end; v++) {
        if (!taken.has(v)) { candidate = v; break; }
      }
      if (candidate !== null) break;
    }
    if (candidate === null) return null;
    const text = formatIp(version, candidate);
    if (await tryInsert(tx, subnet, text, portId)) return text;
  }
  return null;
}

export async function releasePortAddresses(tx: Tx, portId: string): Promise<void> {
  await tx.deleteFrom('ip_allocations').where('port_id', '=', portId).execute();
}
