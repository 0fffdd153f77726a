/**
 * POST /flavors body, checked as Nova's flavor-manage schema and flavors.create do: ram and
 * vcpus ≥ 1, disk/ephemeral/swap ≥ 0 (integers or digit strings), rxtx_factor a positive float,
 * id a string or number of safe characters (a UUID is generated when absent or null), a name
 * of printable characters; description from 2.55, no rxtx_factor from 2.102.
 */
import type { FastifyRequest } from 'fastify';
import { badRequest } from '../../api/errors.js';
import type { FlavorRow } from '../../store/schema-compute.js';
import { nowIso, uuid } from '../../util/ids.js';
import { atLeast } from '../microversion.js';
import { booleanParam, descriptionString, integerParam, invalid, nameString, onlyKeys, pyRepr, requireKeys, wrapped } from './validate.js';

const SQL_SP_FLOAT_MAX = 3.40282e38;
const ID_PATTERN = /^(?! )[a-zA-Z0-9. _-]+(?<! )$/;

function flavorId(value: unknown): string {
  if (value === null || value === undefined) return uuid();
  if (typeof value === 'number') return String(value);
  if (typeof value !== 'string') throw invalid('id', value, `${pyRepr(value)} is not of type 'string', 'number', 'null'`);
  if (value.length < 1) throw invalid('id', value, `'' is too short`);
  if (value.length > 255) throw invalid('id', value, `'${value}' is too long`);
  if (!ID_PATTERN.test(value)) throw invalid('id', value, `'${value}' does not match '${ID_PATTERN.source}'`);
  return value;
}

function rxtxFactor(value: unknown): number {
  let n: number;
  if (typeof value === 'number') n = value;
  else if (typeof value === 'string' && /^[0-9]+(\.[0-9]+)?$/.test(value)) n = Number(value);
  else if (typeof value === 'string') throw invalid('rxtx_factor', value, `'${value}' does not match '^[0-9]+(\\.[0-9]+)?$'`);
  else throw invalid('rxtx_factor', value, `${pyRepr(value)} is not of type 'number', 'string'`);
  if (!(n > 0) || n > SQL_SP_FLOAT_MAX) throw badRequest(`Invalid input received: 'rxtx_factor' argument must be a float between 0 and ${SQL_SP_FLOAT_MAX}`);
  return n;
}

/** The row a valid create request describes (not yet stored). */
export function flavorFromBody(request: FastifyRequest, body: unknown): FlavorRow {
  const f = wrapped(body, 'flavor');
  const allowed = ['name', 'id', 'ram', 'vcpus', 'disk', 'OS-FLV-EXT-DATA:ephemeral', 'swap', 'os-flavor-access:is_public'];
  if (!atLeast(request, '2.102')) allowed.push('rxtx_factor');
  if (atLeast(request, '2.55')) allowed.push('description');
  onlyKeys(f, allowed, 'flavor');
  requireKeys(f, ['name', 'ram', 'vcpus', 'disk'], 'flavor');
  // Nova strips the name it stores; the schema already refused edge whitespace.
  const name = nameString(f.name, 'name').trim();
  const row: FlavorRow = {
    id: flavorId(f.id),
    name,
    ram: integerParam(f.ram, 'ram', 1),
    vcpus: integerParam(f.vcpus, 'vcpus', 1),
    disk: integerParam(f.disk, 'disk', 0),
    ephemeral: f['OS-FLV-EXT-DATA:ephemeral'] === undefined ? 0 : integerParam(f['OS-FLV-EXT-DATA:ephemeral'], 'ephemeral', 0),
    swap: f.swap === undefined ? 0 : integerParam(f.swap, 'swap', 0),
    rxtx_factor: f.rxtx_factor === undefined ? 1 : rxtxFactor(f.rxtx_factor),
    is_public: f['os-flavor-access:is_public'] === undefined || booleanParam(f['os-flavor-access:is_public'], 'os-flavor-access:is_public') ? 1 : 0,
    disabled: 0,
    description: f.description === undefined ? null : descriptionString(f.description, 'description', 65535),
    created_at: nowIso(),
    updated_at: null,
  };
  return row;
}
