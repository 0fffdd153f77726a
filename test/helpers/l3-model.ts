/**
 * A packstack-like model for the router compiler and driver tests (no store, no root): the
 * external flat network `public` on physnet1 (172.24.4.0/24, gateway .1, pool .2-.200), a VXLAN
 * network `private` (10.0.0.0/24), router1 on `network1` with its gateway on public and an
 * interface on private, an instance port on `compute1`, and a floating IP bound to it.
 */
import type { Model, ModelPort } from '../../src/agent/model.js';
import type { L3Model, ModelFloatingIp, ModelRouter } from '../../src/agent/model-l3.js';

export const PUBLIC = 'b226c9e0-dbe5-4a8e-af06-d5b7416a13a6';
export const PRIVATE = 'ce984965-c04a-423b-a666-8758bda8c971';
export const PUBLIC_SUBNET = 'b5303cdc-d9d0-4e6e-bc89-30821246b86f';
export const PRIVATE_SUBNET = 'c2f9bcd7-6bed-4378-943f-a7be786b3bf5';
export const ROUTER = '96d6024d-2ad6-449f-b9bb-3d6c662c2b78';
export const GW_PORT = '5b8b000e-cf11-4000-8000-000000000001';
export const IF_PORT = '2714d4c8-5331-4498-88ed-124c7f6f5633';
export const VM_PORT = '5b6e6d9e-61f2-48bf-afe6-fa46359a4d1c';
export const FIP = '42b954b9-d88a-4a32-95c3-ff7903cf22c4';
export const FIP_PORT = '0f1e2d3c-0000-4000-8000-000000000051';

function port(over: Partial<ModelPort> & Pick<ModelPort, 'id' | 'mac' | 'networkId'>): ModelPort {
  return {
    deviceOwner: 'compute:nova', deviceId: 'srv', hostId: '', adminStateUp: true, status: 'DOWN', vifType: 'unbound', dnsName: '',
    fixedIps: [], extraDhcpOpts: [], ...over,
  };
}

export interface L3ModelOptions {
  readonly router?: Partial<ModelRouter>;
  readonly floatingIps?: readonly ModelFloatingIp[];
  readonly l3?: Partial<L3Model>;
  readonly hosts?: readonly string[];
}

export function l3Model(o: L3ModelOptions = {}): Model {
  const hosts = o.hosts ?? ['compute1', 'network1'];
  const router: ModelRouter = {
    id: ROUTER, adminStateUp: true, enableSnat: true, gwPortId: GW_PORT, hosts: ['network1'], portIds: [GW_PORT, IF_PORT], routes: [], ...o.router,
  };
  const floatingIps = o.floatingIps ?? [{
    id: FIP, address: '172.24.4.51', networkId: PUBLIC, fixedPortId: VM_PORT, fixedIp: '10.0.0.6', routerId: ROUTER, status: 'DOWN',
  }];
  return {
    hosts: hosts.map((name, i) => ({ name, underlayIp: `100.64.0.${i + 1}` })),
    networks: [
      { id: PRIVATE, mtu: 1450, adminStateUp: true, segments: [{ networkType: 'vxlan', physicalNetwork: null, segmentationId: 10 }] },
      { id: PUBLIC, mtu: 1500, adminStateUp: true, segments: [{ networkType: 'flat', physicalNetwork: 'physnet1', segmentationId: null }] },
    ],
    subnets: [
      { id: PRIVATE_SUBNET, networkId: PRIVATE, ipVersion: 4, cidr: '10.0.0.0/24', gatewayIp: '10.0.0.1', enableDhcp: false, dnsNameservers: [], hostRoutes: [] },
      { id: PUBLIC_SUBNET, networkId: PUBLIC, ipVersion: 4, cidr: '172.24.4.0/24', gatewayIp: '172.24.4.1', enableDhcp: false, dnsNameservers: [], hostRoutes: [] },
    ],
    ports: [
      port({ id: GW_PORT, networkId: PUBLIC, mac: 'fa:16:3e:64:31:71', deviceOwner: 'network:router_gateway', deviceId: ROUTER, fixedIps: [{ subnetId: PUBLIC_SUBNET, ip: '172.24.4.2' }] }),
      port({ id: IF_PORT, networkId: PRIVATE, mac: 'fa:16:3e:7d:84:51', deviceOwner: 'network:router_interface', deviceId: ROUTER, fixedIps: [{ subnetId: PRIVATE_SUBNET, ip: '10.0.0.1' }] }),
      port({ id: VM_PORT, networkId: PRIVATE, mac: 'fa:16:3e:db:2f:fd', hostId: 'compute1', fixedIps: [{ subnetId: PRIVATE_SUBNET, ip: '10.0.0.6' }] }),
      port({ id: FIP_PORT, networkId: PUBLIC, mac: 'fa:16:3e:00:00:51', deviceOwner: 'network:floatingip', deviceId: FIP, status: 'N/A', fixedIps: [{ subnetId: PUBLIC_SUBNET, ip: '172.24.4.51' }] }),
    ],
    dhcpHosts: new Map(),
    l3: {
      routers: [router],
      floatingIps,
      externalNetworks: new Set([PUBLIC]),
      pools: new Map([[PUBLIC_SUBNET, [{ start: '172.24.4.2', end: '172.24.4.200' }]], [PRIVATE_SUBNET, [{ start: '10.0.0.2', end: '10.0.0.254' }]]]),
      l3Hosts: ['network1'],
      ...o.l3,
    },
  };
}
