/**
 * What a project (or one of its users) is using, counted from the tables as Nova counts:
 * non-deleted instances with their vCPUs and RAM, server groups. Key pairs and group members
 * are counted per user when a limit is checked, and shown as 0 in usage views, as in Nova.
 */
import type { Db, Tx } from '../../store/store.js';

export interface Usage {
  instances: number;
  cores: number;
  ram: number;
  server_groups: number;
}

export async function instanceUsage(db: Db | Tx, projectId: string, userId?: string): Promise<Pick<Usage, 'instances' | 'cores' | 'ram'>> {
  let q = db.selectFrom('instances')
    .select((eb) => [eb.fn.countAll<number>().as('n'), eb.fn.sum<number>('vcpus').as('cores'), eb.fn.sum<number>('memory_mb').as('ram')])
    .where('project_id', '=', projectId).where('deleted', '=', 0);
  if (userId) q = q.where('user_id', '=', userId);
  const row = await q.executeTakeFirst();
  return { instances: Number(row?.n ?? 0), cores: Number(row?.cores ?? 0), ram: Number(row?.ram ?? 0) };
}

export async function serverGroupCount(db: Db | Tx, projectId: string, userId?: string): Promise<number> {
  let q = db.selectFrom('server_groups').select((eb) => eb.fn.countAll<number>().as('n')).where('project_id', '=', projectId);
  if (userId) q = q.where('user_id', '=', userId);
  return Number((await q.executeTakeFirst())?.n ?? 0);
}

export async function keypairCount(db: Db | Tx, userId: string): Promise<number> {
  const row = await db.selectFrom('keypairs').select((eb) => eb.fn.countAll<number>().as('n')).where('user_id', '=', userId).executeTakeFirst();
  return Number(row?.n ?? 0);
}

export async function usageOf(db: Db | Tx, projectId: string, userId?: string): Promise<Usage> {
  const [instances, groups] = await Promise.all([instanceUsage(db, projectId, userId), serverGroupCount(db, projectId, userId)]);
  return { ...instances, server_groups: groups };
}

/** Instances on each host (non-deleted), with what they use: for hypervisors and services. */
export interface HostLoad {
  running: number;
  vcpus: number;
  memoryMb: number;
  diskGb: number;
  busy: number;
}

/** Task states that count as work in Nova's current_workload. */
const WORKLOAD_TASKS = ['resize_migrating', 'rebuilding', 'resize_prep', 'image_snapshot', 'image_backup', 'rescuing', 'unshelving'];

export async function hostLoads(db: Db | Tx): Promise<Map<string, HostLoad>> {
  const rows = await db.selectFrom('instances').select(['host', 'vcpus', 'memory_mb', 'root_gb', 'ephemeral_gb', 'vm_state', 'task_state'])
    .where('deleted', '=', 0).where('host', 'is not', null).execute();
  const loads = new Map<string, HostLoad>();
  for (const r of rows) {
    const host = r.host as string;
    const load = loads.get(host) ?? { running: 0, vcpus: 0, memoryMb: 0, diskGb: 0, busy: 0 };
    load.running += 1;
    load.vcpus += r.vcpus;
    load.memoryMb += r.memory_mb;
    load.diskGb += r.root_gb + r.ephemeral_gb;
    if (r.vm_state === 'building' || (r.task_state && WORKLOAD_TASKS.includes(r.task_state))) load.busy += 1;
    loads.set(host, load);
  }
  return loads;
}

export async function instancesOnHost(db: Db | Tx, host: string): Promise<{ name: string; uuid: string }[]> {
  return db.selectFrom('instances').select(['name', 'uuid']).where('host', '=', host).where('deleted', '=', 0).orderBy('id').execute();
}
