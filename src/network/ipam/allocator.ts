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
import { ipKey, keyValue } from './keys.js';

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

async function tryInsert(tx: Tx, subnet: SubnetRow, ip: string, key: string, portId: string): Promise<boolean> {
  const result = await tx.insertInto('ip_allocations')
    .values({ subnet_id: subnet.id, ip_address: ip, network_id: subnet.network_id, port_id: portId, ip_key: key })
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
  if (!(await tryInsert(tx, subnet, canonical, ipKey(ip.version, ip.value), portId))) throw alreadyAllocated(canonical, subnet.id);
  return canonical;
}

interface Range {
  readonly start: bigint;
  readonly end: bigint;
}

/** Allocations read per query while walking a run of taken addresses. */
const PAGE = 128;

/**
 * Per subnet, an address below which every pool address was taken when last seen. Only a hint:
 * each use first checks it against the database (see lowFloor), so writes by other transactions,
 * rolled-back allocations and other controllers cannot make it wrong.
 */
const floors = new Map<string, bigint>();
const MAX_FLOORS = 4096;

function setFloor(subnetId: string, value: bigint): void {
  if (floors.size >= MAX_FLOORS && !floors.has(subnetId)) floors.clear();
  floors.set(subnetId, value);
}

async function countTaken(tx: Tx, subnetId: string, version: IpVersion, from: bigint, to: bigint): Promise<number> {
  const row = await tx.selectFrom('ip_allocations').select((eb) => eb.fn.countAll<number>().as('n'))
    .where('subnet_id', '=', subnetId).where('ip_key', '>=', ipKey(version, from)).where('ip_key', '<=', ipKey(version, to))
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}

/**
 * Where the search for a free address may start: the remembered floor if the pools below it
 * are still full (their allocation count equals their size, one indexed count), else the start.
 */
async function lowFloor(tx: Tx, subnet: SubnetRow, version: IpVersion, pools: readonly Range[]): Promise<bigint> {
  const first = pools[0] as Range;
  const floor = floors.get(subnet.id);
  if (floor === undefined || floor <= first.start) return first.start;
  for (const pool of pools) {
    if (pool.start >= floor) break;
    const top = pool.end < floor ? pool.end : floor - 1n;
    if (BigInt(await countTaken(tx, subnet.id, version, pool.start, top)) !== top - pool.start + 1n) return first.start;
  }
  return floor;
}

/** The lowest pool address at or above `from` with no allocation, walking the index in key order. */
async function firstFree(tx: Tx, subnetId: string, version: IpVersion, pools: readonly Range[], from: bigint): Promise<bigint | null> {
  for (const pool of pools) {
    if (pool.end < from) continue;
    let expect = pool.start > from ? pool.start : from;
    for (;;) {
      const rows = await tx.selectFrom('ip_allocations').select('ip_key').where('subnet_id', '=', subnetId)
        .where('ip_key', '>=', ipKey(version, expect)).where('ip_key', '<=', ipKey(version, pool.end))
        .orderBy('ip_key').limit(PAGE).execute();
      for (const r of rows) {
        const value = keyValue(r.ip_key);
        if (value > expect) return expect;
        expect = value + 1n;
      }
      if (rows.length < PAGE) break;
    }
    if (expect <= pool.end) return expect;
  }
  return null;
}

/**
 * Allocates the lowest free address of the subnet's pools; null when the pools are full. The
 * search starts at the remembered floor (usually the answer itself, found with one indexed
 * count and one empty range read) instead of reading every allocation of the subnet.
 */
export async function allocateAny(tx: Tx, subnet: SubnetRow, portId: string): Promise<string | null> {
  const version = subnet.ip_version as IpVersion;
  const pools = parseJsonArray<Pool>(subnet.allocation_pools)
    .map((p) => ({ start: parseIp(p.start)?.value ?? 0n, end: parseIp(p.end)?.value ?? -1n }))
    .filter((p) => p.start <= p.end)
    .sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  if (pools.length === 0) return null;
  let from = await lowFloor(tx, subnet, version, pools);
  for (let attempt = 0; attempt < 20; attempt++) {
    const candidate = await firstFree(tx, subnet.id, version, pools, from);
    if (candidate === null) return null;
    const text = formatIp(version, candidate);
    if (await tryInsert(tx, subnet, text, ipKey(version, candidate), portId)) {
      setFloor(subnet.id, candidate + 1n);
      return text;
    }
    // Taken meanwhile by a concurrent transaction (PostgreSQL): the next one up.
    from = candidate + 1n;
  }
  return null;
}

export async function releasePortAddresses(tx: Tx, portId: string): Promise<void> {
  await tx.deleteFrom('ip_allocations').where('port_id', '=', portId).execute();
}
