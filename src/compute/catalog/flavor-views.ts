/**
 * Flavor representations per microversion: the brief form (id, name, links; description from
 * 2.55) and the full one (swap "" for none before 2.75, description from 2.55, extra_specs from
 * 2.61, no rxtx_factor nor OS-FLV-DISABLED:disabled from 2.102).
 */
import type { FastifyRequest } from 'fastify';
import type { FlavorRow } from '../../store/schema-compute.js';
import { atLeast } from '../microversion.js';
import { resourceLinks } from './links.js';

export function flavorBrief(request: FastifyRequest, row: FlavorRow): Record<string, unknown> {
  const view: Record<string, unknown> = { id: row.id, name: row.name, links: resourceLinks(request, 'flavors', row.id) };
  if (atLeast(request, '2.55')) view.description = row.description;
  return view;
}

export function flavorDetail(request: FastifyRequest, row: FlavorRow, extraSpecs?: Record<string, string>): Record<string, unknown> {
  const view: Record<string, unknown> = {
    id: row.id,
    name: row.name,
    ram: row.ram,
    disk: row.disk,
    swap: row.swap === 0 && !atLeast(request, '2.75') ? '' : row.swap,
    'OS-FLV-EXT-DATA:ephemeral': row.ephemeral,
    'OS-FLV-DISABLED:disabled': row.disabled === 1,
    vcpus: row.vcpus,
    'os-flavor-access:is_public': row.is_public === 1,
    rxtx_factor: row.rxtx_factor,
    links: resourceLinks(request, 'flavors', row.id),
  };
  if (atLeast(request, '2.55')) view.description = row.description;
  if (atLeast(request, '2.61')) view.extra_specs = extraSpecs ?? {};
  if (atLeast(request, '2.102')) {
    delete view['OS-FLV-DISABLED:disabled'];
    delete view.rxtx_factor;
  }
  return view;
}
