/**
 * Agents and scheduling over HTTP: the registered hosts' agents (admin only), their updates and
 * deletion; routers placed on the least loaded live L3 host and staying there when it dies
 * (HA routers fail over instead); adding and removing routers and DHCP networks by hand.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { HostSpec } from '../src/hosts/registry.js';
import { startCloudWithTokens, type TestCloud } from './helpers/cloud.js';
import { addInterface, getJson, newRouter, projectSubnet, V2 } from './helpers/l3-fixtures.js';
import { neutronError, newNetwork, newSubnet, type Json } from './helpers/ports-fixtures.js';

const OTHER: HostSpec = {
  name: 'network-b', roles: ['l3', 'dhcp', 'l2'], availabilityZone: 'nova', underlayIp: '192.0.2.2', hypervisorType: 'fake', vcpus: 2, memoryMb: 2048, diskGb: 20,
};

describe('network: agents and scheduling', () => {
  let cloud: TestCloud;
  let admin: string;
  let demo: string;

  before(async () => {
    ({ cloud, admin, demo } = await startCloudWithTokens({ overrides: { localHost: { name: 'network-a' } } }));
  });
  after(async () => cloud.destroy());

  const agentsOf = async (type: string): Promise<Json[]> => (await getJson(cloud, admin, `/agents?agent_type=${encodeURIComponent(type)}`)).agents;
  const hostsOfRouter = async (id: string): Promise<Json[]> => (await getJson(cloud, admin, `/routers/${id}/l3-agents`)).agents;
  const setAlive = async (host: string, alive: boolean) => {
    await cloud.store.db.updateTable('hosts').set({ heartbeat_at: alive ? Date.now() : 0 }).where('name', '=', host).execute();
  };

  it('lists the all-in-one host\'s agents to admins only', async () => {
    const agents = (await getJson(cloud, admin, '/agents')).agents;
    assert.deepEqual(agents.map((a: Json) => a.agent_type).sort(), ['DHCP agent', 'L3 agent', 'Linux bridge agent', 'Metadata agent']);
    const l3 = agents.find((a: Json) => a.agent_type === 'L3 agent');
    assert.equal(l3.host, 'network-a');
    assert.equal(l3.binary, 'neutron-l3-agent');
    assert.equal(l3.topic, 'l3_agent');
    assert.equal(l3.alive, true);
    assert.equal(l3.admin_state_up, true);
    assert.equal(l3.availability_zone, 'nova');
    assert.equal(l3.configurations.agent_mode, 'dvr_snat');
    assert.equal(l3.configurations.routers, 0);
    assert.match(l3.heartbeat_timestamp, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
    assert.match(l3.created_at, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
    assert.equal(agents.find((a: Json) => a.agent_type === 'Metadata agent').availability_zone, null);
    assert.deepEqual((await getJson(cloud, demo, '/agents')).agents, []);
    neutronError(await cloud.request('GET', `${V2}/agents/${l3.id}`, { token: demo }), 404, 'AgentNotFound');
    neutronError(await cloud.request('PUT', `${V2}/agents/${l3.id}`, { token: demo, body: { agent: { description: 'x' } } }), 404, 'AgentNotFound');
    neutronError(await cloud.request('GET', `${V2}/agents/${l3.id}/l3-routers`, { token: demo }), 403, 'PolicyNotAuthorized');
    neutronError(await cloud.request('GET', `${V2}/agents/${demo.slice(0, 8)}`, { token: admin }), 404, 'AgentNotFound');
  });

  it('updates admin_state_up and description, nothing else', async () => {
    const [dhcp] = await agentsOf('DHCP agent');
    const res = await cloud.request('PUT', `${V2}/agents/${dhcp.id}`, { token: admin, body: { agent: { description: 'rack 1', admin_state_up: false } } });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.agent.description, 'rack 1');
    assert.equal(res.body.agent.admin_state_up, false);
    neutronError(await cloud.request('PUT', `${V2}/agents/${dhcp.id}`, { token: admin, body: { agent: { host: 'x' } } }), 400, 'HTTPBadRequest');
    const back = await cloud.request('PUT', `${V2}/agents/${dhcp.id}`, { token: admin, body: { agent: { admin_state_up: true } } });
    assert.equal(back.body.agent.admin_state_up, true);
  });

  it('puts new routers on the least loaded live L3 host, and leaves them there when the host dies', async () => {
    await cloud.hosts.register(OTHER);
    const l3 = await agentsOf('L3 agent');
    assert.equal(l3.length, 2);
    const routers = [];
    for (let i = 0; i < 4; i++) routers.push(await newRouter(cloud, demo, { name: `spread-${i}` }));
    const placed = [];
    for (const r of routers) {
      const hosting = await hostsOfRouter(r.id);
      assert.equal(hosting.length, 1);
      placed.push(hosting[0].host);
    }
    assert.equal(placed.filter((h) => h === 'network-a').length, 2, placed.join());
    assert.equal(placed.filter((h) => h === 'network-b').length, 2, placed.join());
    const onB = routers[placed.indexOf('network-b')] as Json;
    await setAlive('network-b', false);
    try {
      const hosting = await hostsOfRouter(onB.id);
      assert.deepEqual(hosting.map((a: Json) => [a.host, a.alive]), [['network-b', false]]);
      const fresh = await newRouter(cloud, demo, { name: 'while-b-is-down' });
      assert.deepEqual((await hostsOfRouter(fresh.id)).map((a: Json) => a.host), ['network-a']);
      const agentB = l3.find((a: Json) => a.host === 'network-b');
      const onAgent = (await getJson(cloud, admin, `/agents/${agentB.id}/l3-routers`)).routers.map((r: Json) => r.id);
      assert.ok(onAgent.includes(onB.id));
    } finally {
      await setAlive('network-b', true);
    }
  });

  it('runs an HA router on every live L3 host; the active one moves when its host dies', async () => {
    const ha = await newRouter(cloud, admin, { name: 'ha', ha: true });
    let hosting = await hostsOfRouter(ha.id);
    assert.equal(hosting.length, 2);
    const active = hosting.find((a: Json) => a.ha_state === 'active');
    assert.ok(active);
    assert.equal(hosting.filter((a: Json) => a.ha_state === 'standby').length, 1);
    await setAlive(active.host, false);
    try {
      hosting = await hostsOfRouter(ha.id);
      const now = hosting.find((a: Json) => a.ha_state === 'active');
      assert.ok(now && now.host !== active.host, JSON.stringify(hosting));
    } finally {
      await setAlive(active.host, true);
    }
    // A legacy router is hosted once.
    assert.equal((await hostsOfRouter((await newRouter(cloud, admin, { name: 'legacy' })).id)).length, 1);
  });

  it('removes a router from its agent and adds it back; a legacy router cannot be on two', async () => {
    const r = await newRouter(cloud, demo, { name: 'manual' });
    const [hosting] = await hostsOfRouter(r.id);
    const l3 = await agentsOf('L3 agent');
    const other = l3.find((a: Json) => a.id !== hosting.id);
    assert.equal((await cloud.request('DELETE', `${V2}/agents/${hosting.id}/l3-routers/${r.id}`, { token: admin })).status, 204);
    assert.deepEqual(await hostsOfRouter(r.id), []);
    assert.deepEqual((await getJson(cloud, admin, `/routers/${r.id}`)).router.availability_zones, []);
    // The next change schedules it again.
    const { subnet } = await projectSubnet(cloud, demo, '10.40.0.0/24');
    await addInterface(cloud, demo, r.id, { subnet_id: subnet.id });
    const [again] = await hostsOfRouter(r.id);
    assert.ok(again);
    const elsewhere = l3.find((a: Json) => a.id !== again.id);
    neutronError(await cloud.request('POST', `${V2}/agents/${elsewhere.id}/l3-routers`, { token: admin, body: { router_id: r.id } }), 409, 'RouterHostedByL3Agent');
    assert.equal((await cloud.request('DELETE', `${V2}/agents/${again.id}/l3-routers/${r.id}`, { token: admin })).status, 204);
    const added = await cloud.request('POST', `${V2}/agents/${other.id}/l3-routers`, { token: admin, body: { router_id: r.id } });
    assert.equal(added.status, 201, added.text);
    assert.deepEqual((await hostsOfRouter(r.id)).map((a: Json) => a.id), [other.id]);
    const [dhcp] = await agentsOf('DHCP agent');
    neutronError(await cloud.request('POST', `${V2}/agents/${dhcp.id}/l3-routers`, { token: admin, body: { router_id: r.id } }), 400, 'InvalidL3Agent');
    neutronError(await cloud.request('POST', `${V2}/agents/${other.id}/l3-routers`, { token: admin, body: { router_id: dhcp.id } }), 404, 'RouterNotFound');
    neutronError(await cloud.request('POST', `${V2}/agents/${other.id}/l3-routers`, { token: admin, body: {} }), 400, 'HTTPBadRequest');
    neutronError(await cloud.request('POST', `${V2}/agents/${other.id}/l3-routers`, { token: demo, body: { router_id: r.id } }), 403, 'PolicyNotAuthorized');
  });

  it('hosts networks that serve DHCP on a DHCP agent, and lets admins move them', async () => {
    const net = await newNetwork(cloud, demo);
    assert.deepEqual((await getJson(cloud, admin, `/networks/${net.id}/dhcp-agents`)).agents, []);
    await newSubnet(cloud, demo, net.id, '10.41.0.0/24', { enableDhcp: true });
    const hosting = (await getJson(cloud, admin, `/networks/${net.id}/dhcp-agents`)).agents;
    assert.equal(hosting.length, 1);
    assert.equal(hosting[0].agent_type, 'DHCP agent');
    const agentId = hosting[0].id;
    assert.ok((await getJson(cloud, admin, `/agents/${agentId}/dhcp-networks`)).networks.some((n: Json) => n.id === net.id));
    neutronError(await cloud.request('POST', `${V2}/agents/${agentId}/dhcp-networks`, { token: admin, body: { network_id: net.id } }), 409, 'NetworkHostedByDHCPAgent');
    assert.equal((await cloud.request('DELETE', `${V2}/agents/${agentId}/dhcp-networks/${net.id}`, { token: admin })).status, 204);
    neutronError(await cloud.request('DELETE', `${V2}/agents/${agentId}/dhcp-networks/${net.id}`, { token: admin }), 409, 'NetworkNotHostedByDhcpAgent');
    assert.equal((await cloud.request('POST', `${V2}/agents/${agentId}/dhcp-networks`, { token: admin, body: { network_id: net.id } })).status, 201);
    const [l3] = await agentsOf('L3 agent');
    neutronError(await cloud.request('POST', `${V2}/agents/${l3.id}/dhcp-networks`, { token: admin, body: { network_id: net.id } }), 400, 'InvalidDHCPAgent');
    neutronError(await cloud.request('GET', `${V2}/networks/${net.id}/dhcp-agents`, { token: demo }), 403, 'PolicyNotAuthorized');
    const counts = (await getJson(cloud, admin, `/agents/${agentId}`)).agent.configurations;
    assert.ok(counts.networks >= 1 && counts.subnets >= 1, JSON.stringify(counts));
  });

  it('deletes an agent with its bindings', async () => {
    const agentB = (await agentsOf('L3 agent')).find((a: Json) => a.host === 'network-b');
    const hosted = (await getJson(cloud, admin, `/agents/${agentB.id}/l3-routers`)).routers;
    assert.ok(hosted.length > 0);
    neutronError(await cloud.request('DELETE', `${V2}/agents/${agentB.id}`, { token: demo }), 404, 'AgentNotFound');
    assert.equal((await cloud.request('DELETE', `${V2}/agents/${agentB.id}`, { token: admin })).status, 204);
    neutronError(await cloud.request('GET', `${V2}/agents/${agentB.id}`, { token: admin }), 404, 'AgentNotFound');
    const stillThere = hosted.find((r: Json) => r.ha !== true);
    assert.ok(!(await hostsOfRouter(stillThere.id)).some((a: Json) => a.id === agentB.id));
  });
});
