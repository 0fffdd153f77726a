/**
 * /v2.0/agents (admin: list, show, update admin_state_up/description, delete; others see an
 * empty list and 404s), the L3 agent scheduler (/agents/{id}/l3-routers) and the DHCP agent
 * scheduler (/agents/{id}/dhcp-networks, /networks/{id}/dhcp-agents).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { caller } from '../../api/auth-hook.js';
import { isAdmin } from '../../policy/context.js';
import type { Db, Tx } from '../../store/store.js';
import { isPlainObject } from '../../util/json.js';
import { nowIso } from '../../util/ids.js';
import { dhcpAgentViewsOfNetwork } from '../agents/hosting.js';
import { DHCP_AGENT, L3_AGENT, loadAgents, type AgentRecord } from '../agents/records.js';
import { AGENT_ATTRIBUTES, agentViews } from '../agents/views.js';
import { policyForbidden } from '../errors.js';
import { agentNotFound, invalidDhcpAgent, invalidL3Agent, networkHostedByDhcpAgent, networkNotHostedByDhcpAgent, routerHostedByAgent, routerNotFound } from '../l3/errors.js';
import { loadRouterViews } from '../l3/views.js';
import { listResponse, type View } from '../listing.js';
import type { NetworkService } from '../service.js';
import { bad, isUuid, notUpdatable, onlyKnown, optBool, optNullableString, updateBody } from '../validate.js';
import { listResponseOne, loadNetworkViews, visibleNetwork } from './networks.js';

const READ_ONLY = ['id', 'agent_type', 'binary', 'topic', 'host', 'alive', 'created_at', 'started_at', 'heartbeat_timestamp', 'configurations',
  'availability_zone', 'resources_synced'];

async function agentOr404(db: Db | Tx, id: string): Promise<AgentRecord> {
  const [agent] = await loadAgents(db, { id });
  if (!agent) throw agentNotFound(id);
  return agent;
}

/** The id named in a scheduler body: {"router_id": ...} or {"network_id": ...}. */
function bodyId(body: unknown, key: 'router_id' | 'network_id'): string {
  if (!isPlainObject(body) || body[key] === undefined) throw bad(`Failed to parse request. Required attribute '${key}' not specified`);
  const value = body[key];
  if (!isUuid(value)) throw bad(`Invalid input for ${key}. Reason: '${String(value)}' is not a valid UUID.`);
  return value.toLowerCase();
}

export async function agentRoutes(app: FastifyInstance, service: NetworkService): Promise<void> {
  const db = service.db;
  /** Agents are an admin matter; others are told nothing exists (Neutron's policy on get_agent). */
  const adminOr404 = (request: FastifyRequest) => {
    const ctx = caller(request);
    const { id } = request.params as { id: string };
    if (!isAdmin(ctx)) throw agentNotFound(id);
    return { ctx, id };
  };
  const requireAdmin = (request: FastifyRequest, action: string) => {
    const ctx = caller(request);
    if (!isAdmin(ctx)) throw policyForbidden(action);
    return ctx;
  };

  app.get('/v2.0/agents', async (request) => {
    const ctx = caller(request);
    const views = isAdmin(ctx) ? await agentViews(db, await loadAgents(db)) : [];
    return listResponse(request, 'agents', views, { knownAttributes: AGENT_ATTRIBUTES });
  });

  app.get('/v2.0/agents/:id', async (request) => {
    const { id } = adminOr404(request);
    const [view] = await agentViews(db, [await agentOr404(db, id)]);
    return listResponseOne(request, 'agent', view as View);
  });

  app.put('/v2.0/agents/:id', async (request) => {
    const { id } = adminOr404(request);
    const item = updateBody(request.body, 'agent');
    notUpdatable(item, READ_ONLY);
    onlyKnown(item, ['admin_state_up', 'description']);
    const adminUp = optBool(item, 'admin_state_up');
    const description = optNullableString(item, 'description');
    await service.store.transaction(async (tx) => {
      await agentOr404(tx, id);
      const changes: { admin_state_up?: 0 | 1; description?: string | null } = {};
      if (adminUp !== undefined) changes.admin_state_up = adminUp ? 1 : 0;
      if (description !== undefined) changes.description = description;
      if (Object.keys(changes).length) await tx.updateTable('agents').set(changes).where('id', '=', id).execute();
    });
    const [view] = await agentViews(db, [await agentOr404(db, id)]);
    return { agent: view };
  });

  app.delete('/v2.0/agents/:id', async (request, reply) => {
    const { id } = adminOr404(request);
    await service.store.transaction(async (tx) => {
      await agentOr404(tx, id);
      // Its router and network bindings go with it (foreign keys cascade).
      await tx.deleteFrom('agents').where('id', '=', id).execute();
    });
    reply.code(204).send();
  });

  app.get('/v2.0/agents/:id/l3-routers', async (request) => {
    const ctx = requireAdmin(request, 'get_l3-routers');
    const { id } = request.params as { id: string };
    await agentOr404(db, id);
    const ids = (await db.selectFrom('router_l3_agent_bindings').select('router_id').where('agent_id', '=', id).execute()).map((b) => b.router_id);
    const rows = ids.length ? await db.selectFrom('routers').selectAll().where('id', 'in', ids).execute() : [];
    return listResponse(request, 'routers', await loadRouterViews(service, ctx, rows));
  });

  app.post('/v2.0/agents/:id/l3-routers', async (request, reply) => {
    requireAdmin(request, 'create_l3-router');
    const { id } = request.params as { id: string };
    const routerId = bodyId(request.body, 'router_id');
    await service.store.transaction(async (tx) => {
      const router = await tx.selectFrom('routers').select(['id', 'ha']).where('id', '=', routerId).executeTakeFirst();
      if (!router) throw routerNotFound(routerId);
      const agent = await agentOr404(tx, id);
      if (agent.agent_type !== L3_AGENT || agent.admin_state_up !== 1) throw invalidL3Agent(id);
      const bound = await tx.selectFrom('router_l3_agent_bindings').select('agent_id').where('router_id', '=', routerId).execute();
      if (bound.some((b) => b.agent_id === id)) return;
      if (bound.length > 0 && router.ha !== 1) throw routerHostedByAgent(routerId, bound[0]?.agent_id as string);
      await tx.insertInto('router_l3_agent_bindings').values({ router_id: routerId, agent_id: id, created_at: nowIso() }).execute();
    });
    reply.code(201).send();
  });

  app.delete('/v2.0/agents/:id/l3-routers/:router_id', async (request, reply) => {
    requireAdmin(request, 'delete_l3-router');
    const { id, router_id: routerId } = request.params as { id: string; router_id: string };
    await service.store.transaction(async (tx) => {
      await agentOr404(tx, id);
      if (!(await tx.selectFrom('routers').select('id').where('id', '=', routerId).executeTakeFirst())) throw routerNotFound(routerId);
      // The router stays unhosted until the next change reschedules it or an admin adds it to an agent.
      await tx.deleteFrom('router_l3_agent_bindings').where('router_id', '=', routerId).where('agent_id', '=', id).execute();
    });
    reply.code(204).send();
  });

  app.get('/v2.0/agents/:id/dhcp-networks', async (request) => {
    const ctx = requireAdmin(request, 'get_dhcp-networks');
    const { id } = request.params as { id: string };
    await agentOr404(db, id);
    const ids = (await db.selectFrom('network_dhcp_agent_bindings').select('network_id').where('agent_id', '=', id).execute()).map((b) => b.network_id);
    const rows = ids.length ? await db.selectFrom('networks').selectAll().where('id', 'in', ids).execute() : [];
    return listResponse(request, 'networks', await loadNetworkViews(service, ctx, rows));
  });

  app.post('/v2.0/agents/:id/dhcp-networks', async (request, reply) => {
    const ctx = requireAdmin(request, 'create_dhcp-network');
    const { id } = request.params as { id: string };
    const networkId = bodyId(request.body, 'network_id');
    await service.store.transaction(async (tx) => {
      await visibleNetwork(service, ctx, networkId, tx);
      const agent = await agentOr404(tx, id);
      if (agent.agent_type !== DHCP_AGENT || agent.admin_state_up !== 1) throw invalidDhcpAgent(id);
      const bound = await tx.selectFrom('network_dhcp_agent_bindings').select('agent_id').where('network_id', '=', networkId).where('agent_id', '=', id).executeTakeFirst();
      if (bound) throw networkHostedByDhcpAgent(networkId, id);
      await tx.insertInto('network_dhcp_agent_bindings').values({ network_id: networkId, agent_id: id, created_at: nowIso() }).execute();
    });
    reply.code(201).send();
  });

  app.delete('/v2.0/agents/:id/dhcp-networks/:network_id', async (request, reply) => {
    const ctx = requireAdmin(request, 'delete_dhcp-network');
    const { id, network_id: networkId } = request.params as { id: string; network_id: string };
    await service.store.transaction(async (tx) => {
      await agentOr404(tx, id);
      await visibleNetwork(service, ctx, networkId, tx);
      const result = await tx.deleteFrom('network_dhcp_agent_bindings').where('network_id', '=', networkId).where('agent_id', '=', id).executeTakeFirst();
      if (Number(result.numDeletedRows) === 0) throw networkNotHostedByDhcpAgent(networkId, id);
    });
    reply.code(204).send();
  });

  app.get('/v2.0/networks/:id/dhcp-agents', async (request) => {
    const ctx = requireAdmin(request, 'get_dhcp-agents');
    const { id } = request.params as { id: string };
    await visibleNetwork(service, ctx, id);
    return listResponse(request, 'agents', await dhcpAgentViewsOfNetwork(db, id), { knownAttributes: AGENT_ATTRIBUTES });
  });
}
