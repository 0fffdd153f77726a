/**
 * addSecurityGroup / removeSecurityGroup: Nova applies the change to every port of the server
 * (the group named, or given by id, in the server's project). A server without ports, a group
 * not found or not on the server are 404s, as Nova's neutron security group API answers.
 */
import { ApiError, badRequest, notFound } from '../../../api/errors.js';
import type { AuthContext } from '../../../policy/context.js';
import type { Tx } from '../../../store/store.js';
import { nowIso } from '../../../util/ids.js';
import { invalid, isObject, pyRepr } from '../../catalog/validate.js';
import type { ComputeService } from '../../service.js';
import { checkNotLocked, loadServer } from '../access.js';

export function groupName(value: unknown, action: string): string {
  if (!isObject(value)) throw invalid(action, value ?? null, `${pyRepr(value ?? null)} is not of type 'object'`);
  const name = value.name;
  if (name === undefined) throw badRequest(`Missing parameter name`);
  if (typeof name !== 'string' || name.trim() === '') throw badRequest('Security group name cannot be empty');
  return name.trim();
}

async function findGroup(tx: Tx, projectId: string, name: string): Promise<{ id: string; name: string }> {
  const byName = await tx.selectFrom('security_groups').select(['id', 'name']).where('project_id', '=', projectId).where('name', '=', name).execute();
  if (byName.length > 1) throw new ApiError('conflict', `Multiple security_group matches found for name '${name}', use an ID to be more specific.`);
  const group = byName[0] ?? await tx.selectFrom('security_groups').select(['id', 'name']).where('id', '=', name)
    .where((eb) => eb.or([eb('project_id', '=', projectId), eb('shared', '=', 1)])).executeTakeFirst();
  if (!group) throw notFound(`Security group ${name} not found for project ${projectId}.`);
  return group;
}

async function serverPorts(tx: Tx, uuid: string): Promise<{ id: string; port_security_enabled: number; revision_number: number }[]> {
  return tx.selectFrom('instance_interfaces').innerJoin('ports', 'ports.id', 'instance_interfaces.port_id')
    .select(['ports.id', 'ports.port_security_enabled', 'ports.revision_number'])
    .where('instance_interfaces.instance_uuid', '=', uuid).orderBy('instance_interfaces.position').execute();
}

async function bump(tx: Tx, port: { id: string; revision_number: number }): Promise<void> {
  await tx.updateTable('ports').set({ updated_at: nowIso(), revision_number: port.revision_number + 1 }).where('id', '=', port.id).execute();
}

export async function changeSecurityGroup(service: ComputeService, ctx: AuthContext, id: string, name: string, add: boolean): Promise<void> {
  await service.store.transaction(async (tx) => {
    const row = await loadServer(tx, ctx, id);
    checkNotLocked(ctx, row);
    const group = await findGroup(tx, row.project_id, name);
    const ports = await serverPorts(tx, row.uuid);
    if (ports.length === 0) throw notFound(`instance_id ${row.uuid} could not be found as device id on any ports`);
    if (add) {
      for (const p of ports) {
        if (p.port_security_enabled !== 1) throw badRequest('Network requires port_security_enabled and subnet associated in order to apply security groups.');
        const has = await tx.selectFrom('port_security_groups').select('port_id').where('port_id', '=', p.id).where('security_group_id', '=', group.id).executeTakeFirst();
        if (has) continue;
        await tx.insertInto('port_security_groups').values({ port_id: p.id, security_group_id: group.id }).execute();
        await bump(tx, p);
      }
      return;
    }
    let found = false;
    for (const p of ports) {
      const result = await tx.deleteFrom('port_security_groups').where('port_id', '=', p.id).where('security_group_id', '=', group.id).executeTakeFirst();
      if (Number(result.numDeletedRows) > 0) {
        found = true;
        await bump(tx, p);
      }
    }
    if (!found) throw notFound(`Security group ${name} not associated with the instance ${row.uuid}`);
  });
}
