/**
 * The metadata proxy of one network, as Neutron's isolated metadata runs it: haproxy in the
 * qdhcp- namespace, bound to 169.254.169.254:80 (an address on the DHCP port's device), that
 * drops whatever identity headers the guest sent, sets X-Forwarded-For to the client's source
 * address and X-Neutron-Network-ID to the network, and forwards to the metadata service's Unix
 * socket. Pure: the agent's compiler calls it.
 */
import { join } from 'node:path';
import { dhcpNamespace } from '../dataplane/names.js';
import type { MetadataProxyPlan } from '../dataplane/plan.js';
import { METADATA_ADDRESS } from './compile-dhcp.js';

export const METADATA_CIDR = `${METADATA_ADDRESS}/32`;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** A path haproxy reads as one word: no whitespace, quotes, backslashes or comment marks. */
const SAFE_PATH = /^\/[A-Za-z0-9_./+@:=-]+$/;

export function haproxyConfig(networkId: string, socket: string): string {
  return [
    `# Kumo metadata proxy for network ${networkId}: written by the data-plane agent.`,
    'global',
    '    maxconn 256',
    'defaults',
    '    mode http',
    '    timeout connect 5s',
    '    timeout client 30s',
    '    timeout server 30s',
    '    timeout http-request 10s',
    '    option http-server-close',
    'listen metadata',
    `    bind ${METADATA_ADDRESS}:80`,
    '    http-request del-header X-Forwarded-For',
    '    http-request del-header X-Neutron-Network-ID',
    '    http-request del-header X-Neutron-Router-ID',
    '    http-request set-header X-Forwarded-For %[src]',
    `    http-request set-header X-Neutron-Network-ID ${networkId}`,
    `    server metadata unix@${socket}`,
    '',
  ].join('\n');
}

/** The proxy for a network, or null when a value could not be written into haproxy's config safely. */
export function metadataProxyFor(networkId: string, home: string, socket: string): MetadataProxyPlan | null {
  if (!UUID.test(networkId) || !SAFE_PATH.test(socket)) return null;
  const dir = join(home, 'metadata-proxy', networkId);
  return {
    networkId, ns: dhcpNamespace(networkId), dir, config: haproxyConfig(networkId, socket),
    // -D: haproxy forks into the background once it listens, and writes the child's PID to -p.
    argv: ['haproxy', '-f', join(dir, 'haproxy.cfg'), '-p', join(dir, 'pid'), '-D', '-q'],
  };
}
