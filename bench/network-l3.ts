/**
 * Neutron L3 benchmarks (issue 4): router add interface, floating IP create and floating IP
 * associate, on the network suite's cloud, each with the same-round GET / baseline.
 */
import type { Client } from './http.js';
import { latencyRounds, latencyRow, seriesOf, type Row } from './measure.js';
import { NET, type PortFixture, type SuiteOptions } from './suite.js';

const SUITE = 'network-l3';
const WARMUP = 3;

interface Pair { readonly routerId: string; readonly subnetId: string }

/** A router and a fresh subnet for each timed add-interface call, made before the timing (as api-latency does). */
async function makePairs(c: Client, from: number, n: number, into: Pair[]): Promise<void> {
  for (let i = from; i < from + n; i++) {
    const net = (await c.call<{ network: { id: string } }>('POST', `${NET}/networks`, { network: { name: `bench-rnet-${i}` } })).network.id;
    const cidr = `10.${1 + Math.floor(i / 250)}.${i % 250}.0/24`;
    const subnetId = (await c.call<{ subnet: { id: string } }>('POST', `${NET}/subnets`, { subnet: { network_id: net, cidr, ip_version: 4 } })).subnet.id;
    const routerId = (await c.call<{ router: { id: string } }>('POST', `${NET}/routers`, { router: { name: `bench-router-${i}` } })).router.id;
    into.push({ routerId, subnetId });
  }
}

export async function benchL3(c: Client, o: SuiteOptions, baseline: () => Promise<void>, cpu: () => number, ports: PortFixture): Promise<Row[]> {
  const rows: Row[] = [];
  const pairs: Pair[] = [];
  let made = 0;
  const more = async (n: number) => { await makePairs(c, made, n, pairs); made += n; };
  await more(WARMUP);
  const addIface = await latencyRounds('router add interface', {
    rounds: o.rounds, perRound: o.perRound, warmup: WARMUP, baseline, cpu,
    before: () => more(o.perRound),
    op: async () => {
      const p = pairs.shift();
      if (!p) throw new Error('no router fixture left');
      await c.call('PUT', `${NET}/routers/${p.routerId}/add_router_interface`, { subnet_id: p.subnetId });
    },
  });
  rows.push(latencyRow('router add interface', seriesOf(addIface, 'router add interface'), addIface.baseline, { suite: SUITE, target: { op: '<', value: 10 }, openstack: '431 ms', cpu: addIface.opCpu }));

  // A flat external network on physnet1 and a router joining it to the port network, so
  // associating a port's address is allowed (ExternalGatewayForFloatingIPNotFound otherwise).
  const ext = (await c.call<{ network: { id: string } }>('POST', `${NET}/networks`, { network: {
    name: 'bench-ext', 'router:external': true, 'provider:network_type': 'flat', 'provider:physical_network': 'physnet1' } })).network.id;
  await c.call('POST', `${NET}/subnets`, { subnet: { network_id: ext, cidr: '172.30.0.0/16', ip_version: 4, enable_dhcp: false, gateway_ip: '172.30.0.1' } });
  const router = (await c.call<{ router: { id: string } }>('POST', `${NET}/routers`, { router: { name: 'bench-fip-router', external_gateway_info: { network_id: ext } } })).router.id;
  await c.call('PUT', `${NET}/routers/${router}/add_router_interface`, { subnet_id: ports.subnetId });

  const fips: string[] = [];
  const create = await latencyRounds('floating IP create', {
    rounds: o.rounds, perRound: o.perRound, warmup: WARMUP, baseline, cpu,
    op: async () => {
      fips.push((await c.call<{ floatingip: { id: string } }>('POST', `${NET}/floatingips`, { floatingip: { floating_network_id: ext } })).floatingip.id);
    },
  });
  rows.push(latencyRow('floating IP create', seriesOf(create, 'floating IP create'), create.baseline, { suite: SUITE, target: { op: '<', value: 10 }, openstack: '289 ms', cpu: create.opCpu }));

  let k = 0;
  const associate = await latencyRounds('floating IP associate', {
    rounds: o.rounds, perRound: o.perRound, warmup: WARMUP, baseline, cpu,
    op: async () => {
      const j = k++;
      const fip = fips[j];
      const port = ports.portIds[j];
      if (!fip || !port) throw new Error('not enough floating IPs or ports to associate');
      await c.call('PUT', `${NET}/floatingips/${fip}`, { floatingip: { port_id: port } });
    },
  });
  rows.push(latencyRow('floating IP associate', seriesOf(associate, 'floating IP associate'), associate.baseline, { suite: SUITE, target: { op: '<', value: 10 }, openstack: '326 ms', cpu: associate.opCpu }));
  return rows;
}
