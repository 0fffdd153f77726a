/** PUT /servers/{id} body → the instance columns it changes (name, access IPs, disk config, description from 2.19). */
import { isIP } from 'node:net';
import type { FastifyRequest } from 'fastify';
import { normalizeIp } from '../../network/ipam/ip.js';
import type { InstanceRow } from '../../store/schema-servers.js';
import { atLeast } from '../microversion.js';
import { hostnameField } from './create-input.js';
import { descriptionString, invalid, nameString, onlyKeys, pyRepr, wrapped } from '../catalog/validate.js';

export type ServerChanges = Partial<Pick<InstanceRow, 'name' | 'hostname' | 'access_ip_v4' | 'access_ip_v6' | 'disk_config' | 'description'>>;

export function parseUpdate(request: FastifyRequest, body: unknown): ServerChanges {
  const server = wrapped(body, 'server');
  const keys = ['name', 'OS-DCF:diskConfig', 'accessIPv4', 'accessIPv6'];
  if (atLeast(request, '2.19')) keys.push('description');
  if (atLeast(request, '2.90')) keys.push('hostname');
  onlyKeys(server, keys, 'server');
  const changes: ServerChanges = {};
  if (server.name !== undefined) changes.name = nameString(server.name, 'name');
  if (server.accessIPv4 !== undefined) {
    const v = server.accessIPv4;
    if (typeof v !== 'string' || (v !== '' && isIP(v) !== 4)) throw invalid('accessIPv4', v, `${pyRepr(v)} is not a 'ipv4'`);
    changes.access_ip_v4 = v === '' ? null : normalizeIp(v) ?? v;
  }
  if (server.accessIPv6 !== undefined) {
    const v = server.accessIPv6;
    if (typeof v !== 'string' || (v !== '' && isIP(v) !== 6)) throw invalid('accessIPv6', v, `${pyRepr(v)} is not a 'ipv6'`);
    changes.access_ip_v6 = v === '' ? null : normalizeIp(v) ?? v;
  }
  if (server['OS-DCF:diskConfig'] !== undefined) {
    const v = server['OS-DCF:diskConfig'];
    if (v !== 'AUTO' && v !== 'MANUAL') throw invalid('OS-DCF:diskConfig', v, `${pyRepr(v)} is not one of ['AUTO', 'MANUAL']`);
    changes.disk_config = v;
  }
  if (server.description !== undefined) changes.description = descriptionString(server.description, 'description', 255);
  const hostname = hostnameField(request, server.hostname);
  if (hostname !== null) changes.hostname = hostname;
  return changes;
}

