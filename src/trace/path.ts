/**
 * The path walk behind `kumo trace`: from a server (or the sandboxed outside host) to an address,
 * hop by hop as Kumo's data plane forwards it — the source NIC and its security groups, the L2
 * network, the subnet's gateway and the router holding it, the router's interfaces, extra routes,
 * SNAT and floating-IP NAT, the external network and its sandboxed upstream, the destination
 * port's ingress rules — stopping at the first hop that drops it and naming what decided.
 * Pure: it reads a TraceModel and nothing else.
 */
import { addressInCidr, parseIp } from '../network/ipam/ip.js';
import { describeFlow, type Flow } from './flow.js';
import type { TraceModel, TraceNetwork, TracePort, TraceRouter, TraceServer, TraceSubnet } from './model.js';
import { describeRule, securityGroupVerdict, type Direction } from './security-groups.js';

export type HopVerdict = 'pass' | 'drop' | 'info';

export interface Hop {
  readonly at: string;
  readonly verdict: HopVerdict;
  readonly detail: string;
  /** The security-group rule that decided, when one did. */
  readonly rule?: string;
  /** A firewall decision the live rules can confirm: the port's chain on its host. */
  readonly firewall?: FirewallCheck;
}

export interface FirewallCheck {
  readonly portId: string;
  readonly host: string;
  readonly direction: Direction;
  /** The rule the model says decides; null when nothing matches (the chain ends in drop). */
  readonly ruleId: string | null;
}

export interface TraceResult {
  readonly reachable: boolean;
  readonly hops: readonly Hop[];
  /** The source address the flow left with (the server's fixed IP, or the outside host's). */
  readonly source: string;
}

/** The sandboxed world beyond the external networks, as the data plane builds it. */
export interface OutsideWorld {
  /** The network between the upstream router and the outside host, e.g. 203.0.113.0/24. */
  readonly cidr: string;
  /** The outside host's address on it. */
  readonly hostIp: string;
  /** The root namespace's on-link address per external subnet when host access is on. */
  readonly hostAccess: readonly string[];
}

export type TraceSource = { readonly kind: 'server'; readonly ref: string } | { readonly kind: 'outside' };

export interface TraceRequest {
  readonly source: TraceSource;
  readonly destination: string;
  readonly flow: Flow;
  readonly outside: OutsideWorld | null;
}

/** A trace that cannot start (unknown server, bad address) is an error, not a drop. */
export class TraceError extends Error {}

const ACTIVE = 'ACTIVE';
const RUNNING = 1;
const MAX_ROUTER_HOPS = 8;

class Walk {
  readonly hops: Hop[] = [];
  private routerHops = 0;

  constructor(private readonly m: TraceModel, private readonly flow: Flow, private readonly outside: OutsideWorld | null) {}

  pass(at: string, detail: string, rule?: string, firewall?: FirewallCheck): void {
    this.hops.push({ at, verdict: 'pass', detail, ...(rule ? { rule } : {}), ...(firewall ? { firewall } : {}) });
  }

  info(at: string, detail: string): void {
    this.hops.push({ at, verdict: 'info', detail });
  }

  drop(at: string, detail: string, rule?: string, firewall?: FirewallCheck): false {
    this.hops.push({ at, verdict: 'drop', detail, ...(rule ? { rule } : {}), ...(firewall ? { firewall } : {}) });
    return false;
  }

  network(id: string): TraceNetwork | undefined {
    return this.m.networks.find((n) => n.id === id);
  }

  netName(id: string): string {
    const n = this.network(id);
    return n?.name ? `${n.name} (${id})` : id;
  }

  subnetsOf(networkId: string): TraceSubnet[] {
    return this.m.subnets.filter((s) => s.networkId === networkId && (s.cidr.includes(':') === (this.flow.ethertype === 'IPv6')));
  }

  onLinkSubnet(networkId: string, address: string): TraceSubnet | undefined {
    return this.subnetsOf(networkId).find((s) => addressInCidr(s.cidr, address));
  }

  portHolding(networkId: string, address: string): TracePort | undefined {
    return this.m.ports.find((p) => p.networkId === networkId && p.fixedIps.some((a) => a.ip === address))
      ?? this.m.ports.find((p) => p.networkId === networkId && p.allowedAddressPairs.some((a) => (a.ip_address.includes('/') ? addressInCidr(a.ip_address, address) : a.ip_address === address)));
  }

  portIp(port: TracePort): string | undefined {
    return port.fixedIps.find((a) => a.ip.includes(':') === (this.flow.ethertype === 'IPv6'))?.ip;
  }

  serverOf(port: TracePort): TraceServer | undefined {
    return this.m.servers.find((s) => s.id === port.deviceId);
  }

  routerOf(port: TracePort): TraceRouter | undefined {
    const id = this.m.routerPorts.get(port.id) ?? (port.deviceOwner.startsWith('network:router') ? port.deviceId : undefined);
    return id === undefined ? undefined : this.m.routers.find((r) => r.id === id);
  }

  /** Network and port checks every wired port shares. */
  portUp(port: TracePort, what: string): boolean {
    const net = this.network(port.networkId);
    if (net && !net.adminStateUp) return this.drop(`network ${this.netName(port.networkId)}`, 'the network is administratively down (admin_state_up false)');
    if (!port.adminStateUp) return this.drop(`${what} port ${port.id}`, 'the port is administratively down (admin_state_up false)');
    if (port.status !== ACTIVE) return this.drop(`${what} port ${port.id}`, `the port is ${port.status}: no agent has wired it on a host (binding:host_id '${port.hostId}')`);
    return true;
  }

  securityGroups(port: TracePort, direction: Direction, remote: string, at: string): boolean {
    const v = securityGroupVerdict(this.m, port, direction, this.flow, remote);
    const check = (ruleId: string | null): FirewallCheck | undefined => (port.portSecurity && port.hostId ? { portId: port.id, host: port.hostId, direction, ruleId } : undefined);
    if (v.allowed) {
      if (v.rule) this.pass(at, `${direction} ${describeFlow(this.flow)} ${direction === 'egress' ? 'to' : 'from'} ${remote} allowed`, describeRule(this.m, v.rule), check(v.rule.id));
      else this.pass(at, v.note);
      return true;
    }
    return this.drop(at, `security groups drop it: ${v.note}`, undefined, check(null));
  }

  /** The flow arrives on a network's L2 segment addressed to `dst`; who answers? */
  onNetwork(networkId: string, src: string, dst: string, from: string): boolean {
    const net = this.network(networkId);
    if (!net) return this.drop(from, `network ${networkId} does not exist`);
    if (!net.adminStateUp) return this.drop(`network ${this.netName(networkId)}`, 'the network is administratively down (admin_state_up false)');
    const port = this.portHolding(networkId, dst);
    if (!port) {
      if (net.external) return this.externalOnLink(net, src, dst);
      return this.drop(`network ${this.netName(networkId)}`, `no port on this network has ${dst}: its ARP request goes unanswered`);
    }
    return this.toPort(port, src, dst);
  }

  toPort(port: TracePort, src: string, dst: string): boolean {
    const owner = port.deviceOwner;
    if (owner === 'network:floatingip') return this.floatingIn(dst, src);
    if (owner.startsWith('network:router')) {
      const router = this.routerOf(port);
      if (!router) return this.drop(`port ${port.id}`, `${owner} port of no known router`);
      if (!this.routerUp(router)) return false;
      if (!this.portUp(port, owner === 'network:router_gateway' ? 'router gateway' : 'router interface')) return false;
      this.pass(`router ${router.name || router.id}`, `${dst} is the router's own address (${owner === 'network:router_gateway' ? 'qg-' : 'qr-'}${port.id.slice(0, 11)}); a router answers ICMP only`);
      return this.flow.protocol === 1 || this.flow.protocol === 58
        ? true
        : this.drop(`router ${router.name || router.id}`, `nothing listens on ${describeFlow(this.flow)} in the router namespace`);
    }
    if (owner === 'network:dhcp') {
      if (!this.portUp(port, 'DHCP')) return false;
      this.pass(`qdhcp-${port.networkId}`, `${dst} is the network's DHCP port (dnsmasq answers DHCP and DNS; the namespace answers ICMP)`);
      return true;
    }
    if (owner.startsWith('compute:')) {
      const server = this.serverOf(port);
      if (!this.portUp(port, 'destination')) return false;
      if (!this.securityGroups(port, 'ingress', src, `destination port ${port.id}${server ? ` of server ${server.name}` : ''}`)) return false;
      if (server && (server.vmState !== 'active' || server.powerState !== RUNNING)) {
        return this.drop(`server ${server.name} (${server.id})`, `the server is ${server.vmState} (power state ${server.powerState}): nothing answers`);
      }
      this.pass(`server ${server?.name ?? port.deviceId}`, `delivered to ${dst} on ${this.netName(port.networkId)}`);
      return true;
    }
    return this.drop(`port ${port.id}`, `${dst} belongs to a port with device_owner '${owner}': Kumo wires no device for it`);
  }

  routerUp(router: TraceRouter): boolean {
    const at = `router ${router.name || router.id}`;
    if (!router.adminStateUp) return this.drop(at, 'the router is administratively down (admin_state_up false): it forwards nothing');
    if (router.hosts.length === 0) return this.drop(at, 'no L3 agent hosts the router: no qrouter namespace exists for it');
    return true;
  }

  gatewayPort(router: TraceRouter): TracePort | undefined {
    return router.gwPortId === null ? undefined : this.m.ports.find((p) => p.id === router.gwPortId);
  }

  interfacesOf(router: TraceRouter): TracePort[] {
    return this.m.ports.filter((p) => this.m.routerPorts.get(p.id) === router.id && p.id !== router.gwPortId);
  }

  /** The flow enters a router from `src` addressed to `dst`; `srcFip` is the source's floating IP on this router, if any. */
  route(router: TraceRouter, src: string, dst: string, srcFip: string | null): boolean {
    const at = `router ${router.name || router.id}`;
    if (++this.routerHops > MAX_ROUTER_HOPS) return this.drop(at, 'routing loop: the packet would circle between routers');
    if (!this.routerUp(router)) return false;
    const gw = this.gatewayPort(router);
    const own = [...this.interfacesOf(router), ...(gw ? [gw] : [])].find((p) => p.fixedIps.some((a) => a.ip === dst));
    if (own) return this.toPort(own, src, dst);
    for (const itf of this.interfacesOf(router)) {
      const subnet = this.onLinkSubnet(itf.networkId, dst);
      if (subnet && itf.fixedIps.some((a) => a.subnetId === subnet.id)) {
        if (!this.portUp(itf, 'router interface')) return false;
        this.pass(at, `${dst} is on ${subnet.name || subnet.id} ${subnet.cidr}, connected through qr-${itf.id.slice(0, 11)}: forwarded, source ${src} kept`);
        return this.onNetwork(itf.networkId, src, dst, at);
      }
    }
    const extra = router.routes.find((r) => addressInCidr(r.destination, dst));
    if (extra) {
      this.pass(at, `extra route ${extra.destination} via ${extra.nexthop}`);
      const via = this.interfacesOf(router).find((p) => this.onLinkSubnet(p.networkId, extra.nexthop));
      if (!via) return this.drop(at, `the next hop ${extra.nexthop} is on none of the router's interface subnets`);
      const hop = this.portHolding(via.networkId, extra.nexthop);
      if (!hop) return this.drop(`network ${this.netName(via.networkId)}`, `no port has the next hop ${extra.nexthop}`);
      const nextRouter = this.routerOf(hop);
      if (nextRouter) return this.route(nextRouter, src, dst, null);
      this.info(`next hop ${extra.nexthop}`, `handed to port ${hop.id} (${hop.deviceOwner}); the trace does not follow a guest's own routing`);
      return true;
    }
    const fip = this.m.floatingIps.find((f) => f.address === dst);
    if (fip && fip.routerId === router.id) {
      // Hairpin: DNAT here, and SNAT so the reply comes back through the router, not directly.
      const gwIp = gw ? this.portIp(gw) : undefined;
      const seen = srcFip ?? gwIp ?? src;
      this.pass(at, `${dst} is a floating IP of this router: hairpin NAT, the destination sees ${seen}`);
      return this.floatingIn(dst, seen);
    }
    if (!gw) return this.drop(at, `no route to ${dst}: the router has no external gateway (router set --external-gateway) and no interface or extra route covers it`);
    if (!this.portUp(gw, 'router gateway')) return false;
    const gwIp = this.portIp(gw);
    let out = src;
    if (srcFip) {
      out = srcFip;
      this.pass(at, `SNAT ${src} → ${srcFip} (the source's floating IP), out through qg-${gw.id.slice(0, 11)}`);
    } else if (router.enableSnat && gwIp) {
      out = gwIp;
      this.pass(at, `SNAT ${src} → ${gwIp} (the router's gateway address, enable_snat), out through qg-${gw.id.slice(0, 11)}`);
    } else {
      this.info(at, `enable_snat is false: ${src} leaves untranslated through qg-${gw.id.slice(0, 11)}; nothing outside has a route back to it`);
    }
    return this.external(gw.networkId, out, dst, src === out && !srcFip && !router.enableSnat);
  }

  /** On an external network: on-link, or via the subnet's gateway to the sandboxed upstream. */
  external(networkId: string, src: string, dst: string, untranslated: boolean): boolean {
    const at = `network ${this.netName(networkId)}`;
    if (this.onLinkSubnet(networkId, dst)) {
      const ok = this.onNetwork(networkId, src, dst, at);
      return ok && untranslated ? this.drop(at, `the reply to ${src} has no route back (SNAT disabled)`) : ok;
    }
    const subnet = this.subnetsOf(networkId).find((s) => s.gatewayIp !== null);
    if (!subnet?.gatewayIp) return this.drop(at, `${dst} is not on this network and its subnets have no gateway_ip`);
    this.pass(at, `${dst} is off-link: to the subnet's gateway ${subnet.gatewayIp} (Kumo's sandboxed upstream router)`);
    return this.upstream(src, dst, untranslated);
  }

  externalOnLink(net: TraceNetwork, src: string, dst: string): boolean {
    const at = `network ${this.netName(net.id)}`;
    const gateways = this.subnetsOf(net.id).map((s) => s.gatewayIp).filter((g): g is string => g !== null);
    if (gateways.includes(dst)) {
      this.pass('upstream router', `${dst} is the external subnet's gateway, held by Kumo's sandboxed upstream router (it answers ICMP)`);
      return true;
    }
    if (this.outside?.hostAccess.includes(dst)) {
      this.pass('host access', `${dst} is the machine's own on-link address (KUMO_HOST_ACCESS)`);
      return true;
    }
    return this.drop(at, `nothing on the external network has ${dst}: no port, not the gateway${this.outside ? '' : ' (the outside world is not known to this trace)'}`);
  }

  upstream(src: string, dst: string, untranslated: boolean): boolean {
    if (!this.outside) return this.drop('upstream router', `${dst} is beyond the upstream router, which routes only to Kumo's outside host`);
    if (!addressInCidr(this.outside.cidr, dst)) return this.drop('upstream router', `no route to ${dst}: the sandboxed upstream is a dead end beyond ${this.outside.cidr}`);
    if (dst !== this.outside.hostIp) return this.drop('upstream router', `nothing at ${dst} on the outside network (the outside host is ${this.outside.hostIp})`);
    if (untranslated) return this.drop('outside host', `the reply to ${src} has no route back (SNAT disabled)`);
    this.pass('outside host', `delivered to the outside host ${dst}, which sees the source ${src}`);
    return true;
  }

  /** A flow addressed to a floating IP reaches the router that owns it. */
  floatingIn(address: string, src: string): boolean {
    const fip = this.m.floatingIps.find((f) => f.address === address);
    const at = `floating IP ${address}`;
    if (!fip) return this.drop(at, 'no such floating IP');
    if (fip.fixedPortId === null || fip.fixedIp === null) return this.drop(at, `the floating IP ${fip.id} is not associated with any port: nothing answers for it`);
    const router = fip.routerId === null ? undefined : this.m.routers.find((r) => r.id === fip.routerId);
    if (!router) return this.drop(at, 'no router serves the floating IP');
    if (!this.routerUp(router)) return false;
    const port = this.m.ports.find((p) => p.id === fip.fixedPortId);
    if (!port) return this.drop(at, `its fixed port ${fip.fixedPortId} does not exist`);
    this.pass(`router ${router.name || router.id}`, `DNAT ${address} → ${fip.fixedIp} (floating IP ${fip.id}, status ${fip.status})`);
    return this.toPort(port, src, fip.fixedIp);
  }
}

function findServer(model: TraceModel, ref: string): TraceServer {
  const byId = model.servers.find((s) => s.id === ref);
  if (byId) return byId;
  const named = model.servers.filter((s) => s.name === ref);
  if (named.length > 1) throw new TraceError(`more than one server is named ${ref}; use its id`);
  const found = named[0];
  if (!found) throw new TraceError(`no server ${ref}`);
  return found;
}

function fromServer(w: Walk, m: TraceModel, ref: string, dst: string): { ok: boolean; source: string } {
  const server = findServer(m, ref);
  const at = `server ${server.name}`;
  if (server.vmState !== 'active' || server.powerState !== RUNNING) {
    return { ok: w.drop(at, `the server is ${server.vmState} (power state ${server.powerState}): it sends nothing`), source: '' };
  }
  const nics = m.ports.filter((p) => p.deviceId === server.id && p.deviceOwner.startsWith('compute:'));
  if (nics.length === 0) return { ok: w.drop(at, 'the server has no NIC'), source: '' };
  const onLink = nics.map((p) => ({ p, s: w.onLinkSubnet(p.networkId, dst) })).find((x) => x.s && x.p.fixedIps.some((a) => a.subnetId === x.s?.id));
  const routed = nics.map((p) => ({ p, s: w.subnetsOf(p.networkId).find((s) => s.gatewayIp !== null && p.fixedIps.some((a) => a.subnetId === s.id)) })).find((x) => x.s);
  const pick = onLink ?? routed;
  if (!pick?.s) return { ok: w.drop(at, `no NIC is on-link with ${dst} and none has a subnet with a gateway: the guest has no route`), source: '' };
  const { p: nic, s: subnet } = pick;
  const src = nic.fixedIps.find((a) => a.subnetId === subnet.id)?.ip ?? '';
  w.pass(at, `leaves through port ${nic.id} (${src}, ${nic.mac}) on ${w.netName(nic.networkId)}, ${onLink ? `on-link in ${subnet.cidr}` : `default route via ${subnet.gatewayIp}`}`);
  if (!w.portUp(nic, 'source')) return { ok: false, source: src };
  if (!w.securityGroups(nic, 'egress', dst, `source port ${nic.id}`)) return { ok: false, source: src };
  if (onLink) return { ok: w.onNetwork(nic.networkId, src, dst, at), source: src };
  const gatewayIp = subnet.gatewayIp as string;
  const gwPort = w.portHolding(nic.networkId, gatewayIp);
  if (!gwPort) return { ok: w.drop(`subnet ${subnet.name || subnet.id}`, `nothing holds the gateway ${gatewayIp}: no router interface on ${subnet.cidr} (router add subnet)`), source: src };
  const router = w.routerOf(gwPort);
  if (!router) return { ok: w.drop(`gateway ${gatewayIp}`, `the gateway address belongs to port ${gwPort.id} (${gwPort.deviceOwner || 'no device owner'}), not to a router: nothing forwards`), source: src };
  if (!w.portUp(gwPort, 'router interface')) return { ok: false, source: src };
  const ownFip = m.floatingIps.find((f) => f.fixedPortId === nic.id && f.fixedIp === src && f.routerId === router.id);
  return { ok: w.route(router, src, dst, ownFip?.address ?? null), source: src };
}

function fromOutside(w: Walk, m: TraceModel, outside: OutsideWorld | null, dst: string): { ok: boolean; source: string } {
  if (!outside) throw new TraceError('the outside world is not known: is the data plane running?');
  const src = outside.hostIp;
  w.pass('outside host', `${src} sends to ${dst} through the upstream router`);
  const externals = m.networks.filter((n) => n.external);
  for (const net of externals) {
    if (w.onLinkSubnet(net.id, dst)) return { ok: w.onNetwork(net.id, src, dst, 'upstream router'), source: src };
  }
  return { ok: w.drop('upstream router', `${dst} is on no external subnet: the upstream has no route to it`), source: src };
}

export function trace(model: TraceModel, request: TraceRequest): TraceResult {
  const dst = parseIp(request.destination);
  if (!dst) throw new TraceError(`'${request.destination}' is not an IP address`);
  if ((dst.version === 6) !== (request.flow.ethertype === 'IPv6')) throw new TraceError('the flow and the destination address differ in IP version');
  const w = new Walk(model, request.flow, request.outside);
  const { ok, source } = request.source.kind === 'server'
    ? fromServer(w, model, request.source.ref, request.destination)
    : fromOutside(w, model, request.outside, request.destination);
  return { reachable: ok && !w.hops.some((h) => h.verdict === 'drop'), hops: w.hops, source };
}

/** What the kernel says about a hop's firewall decision (see src/trace/live.ts), keyed by hop index. */
export type LiveFindings = ReadonlyMap<number, string>;

export function renderTrace(request: TraceRequest, result: TraceResult, live: LiveFindings = new Map()): string {
  const from = request.source.kind === 'server' ? `server ${request.source.ref}` : 'the outside host';
  const lines = [`trace ${describeFlow(request.flow)} from ${from}${result.source ? ` (${result.source})` : ''} to ${request.destination}`];
  result.hops.forEach((h, i) => {
    const mark = h.verdict === 'drop' ? 'DROP' : h.verdict === 'pass' ? 'ok  ' : '..  ';
    lines.push(`${String(i + 1).padStart(3)}. ${mark} ${h.at}: ${h.detail}`);
    if (h.rule) lines.push(`          by ${h.rule}`);
    const found = live.get(i);
    if (found) lines.push(`          live: ${found}`);
  });
  lines.push(result.reachable ? 'result: REACHABLE' : 'result: DROPPED');
  return `${lines.join('\n')}\n`;
}
