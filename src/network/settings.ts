/**
 * ML2-like settings: which segment types tenants get, the VXLAN VNI range, flat physnets and
 * VLAN ranges per physnet, MTUs. From the environment, with packstack-like defaults.
 */

export interface NetworkSettings {
  readonly tenantNetworkType: 'vxlan' | 'vlan' | 'flat';
  readonly vniRanges: readonly (readonly [number, number])[];
  readonly flatNetworks: readonly string[];
  readonly vlanRanges: Readonly<Record<string, readonly (readonly [number, number])[]>>;
  /** The underlay MTU; VXLAN networks lose 50 bytes to encapsulation. */
  readonly globalMtu: number;
  readonly dnsDomain: string;
  readonly macPrefix: string;
}

function ranges(text: string, name: string): [number, number][] {
  return text.split(',').filter(Boolean).map((part) => {
    const [lo, hi] = part.split(':').map(Number);
    if (!Number.isInteger(lo) || !Number.isInteger(hi) || (lo as number) > (hi as number)) throw new Error(`${name}: bad range '${part}'`);
    return [lo as number, hi as number];
  });
}

export function loadNetworkSettings(env: NodeJS.ProcessEnv = process.env): NetworkSettings {
  const vlanRanges: Record<string, [number, number][]> = {};
  for (const part of (env.KUMO_NETWORK_VLAN_RANGES ?? 'physnet1:100:199').split(',').filter(Boolean)) {
    const [physnet, lo, hi] = part.split(':');
    if (!physnet) continue;
    vlanRanges[physnet] ??= [];
    if (lo !== undefined && hi !== undefined) vlanRanges[physnet].push(...ranges(`${lo}:${hi}`, 'KUMO_NETWORK_VLAN_RANGES'));
  }
  const type = env.KUMO_TENANT_NETWORK_TYPE ?? 'vxlan';
  if (type !== 'vxlan' && type !== 'vlan' && type !== 'flat') throw new Error(`KUMO_TENANT_NETWORK_TYPE must be vxlan, vlan or flat`);
  return {
    tenantNetworkType: type,
    vniRanges: ranges(env.KUMO_VNI_RANGES ?? '1:1000', 'KUMO_VNI_RANGES'),
    flatNetworks: (env.KUMO_FLAT_NETWORKS ?? 'physnet1').split(',').filter(Boolean),
    vlanRanges,
    globalMtu: Number(env.KUMO_GLOBAL_MTU ?? 1500),
    dnsDomain: env.KUMO_DNS_DOMAIN ?? 'openstacklocal',
    macPrefix: 'fa:16:3e',
  };
}

export const VXLAN_OVERHEAD = 50;

export function mtuFor(settings: NetworkSettings, networkType: string): number {
  return networkType === 'vxlan' ? settings.globalMtu - VXLAN_OVERHEAD : settings.globalMtu;
}
