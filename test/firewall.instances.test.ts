/**
 * Security groups on real instances (root only; skipped visibly without): Kumo as a child process
 * with the Linux data plane, three projects with two cirros servers each on one shared network.
 * The reachability truth table (ICMP, TCP, UDP between every ordered pair of servers) observed
 * with real packets equals the one computed from the security-group model by an evaluator of
 * this test's own (not the firewall compiler), after each of a few rule changes made through
 * the Neutron API. Then the spoofing matrix from inside a real instance: forged frames are not
 * delivered, and are once port_security_enabled is false on the sender (no groups).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { run } from '../src/dataplane/linux/exec.js';
import { listNamespaces } from '../src/dataplane/linux/ip.js';
import { homeHash, homePrefix } from '../src/dataplane/names.js';
import { passwordToken, request, type RequestOptions, type TestResponse } from './helpers/cloud.js';
import { rootSkip, waitFor } from './helpers/dataplane.js';
import { removeHome, startKumoProcess, type KumoProcess } from './helpers/process.js';
import { captureWhile, gratuitousArp, rawFramesSkip, sendFrames, tokenHex, udpFrame } from './helpers/raw-frames.js';
import { assertRootNetnsUnchanged, snapshotRootNetns, type RootSnapshot } from './helpers/root-netns.js';

const MAIN = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const PROJECTS = ['tt-p1', 'tt-p2', 'tt-p3'];
const PROTOCOLS = ['icmp', 'tcp', 'udp'] as const;
type Proto = (typeof PROTOCOLS)[number];
const TCP_PORT = 8000;
const UDP_PORT = 9000;

interface Server {
  readonly name: string;
  readonly project: string;
  readonly ns: string;
  readonly ip: string;
  readonly mac: string;
  readonly portId: string;
}

interface Rule {
  readonly id: string;
  readonly security_group_id: string;
  readonly direction: string;
  readonly ethertype: string;
  readonly protocol: string | null;
  readonly port_range_min: number | null;
  readonly port_range_max: number | null;
  readonly remote_ip_prefix: string | null;
  readonly remote_group_id: string | null;
}

interface Port {
  readonly id: string;
  readonly security_groups: string[];
  readonly port_security_enabled: boolean;
  readonly fixed_ips: { ip_address: string }[];
}

// ---- The expected table: Neutron's semantics, evaluated here independently of the compiler. ----

function ipv4(ip: string): number {
  return ip.split('.').reduce((a, b) => a * 256 + Number(b), 0);
}

function inPrefix(prefix: string, ip: string): boolean {
  const [net, len = '32'] = prefix.split('/');
  const bits = Number(len);
  if (bits === 0) return true;
  const size = 2 ** (32 - bits);
  return Math.floor(ipv4(ip) / size) === Math.floor(ipv4(net as string) / size);
}

function ruleAllows(r: Rule, proto: Proto, remoteIp: string, ports: readonly Port[]): boolean {
  if (r.ethertype !== 'IPv4') return false;
  const number: Record<Proto, string[]> = { icmp: ['icmp', '1'], tcp: ['tcp', '6'], udp: ['udp', '17'] };
  if (r.protocol !== null && r.protocol !== 'any' && !number[proto].includes(r.protocol)) return false;
  if (r.protocol !== null && proto !== 'icmp' && (r.port_range_min !== null || r.port_range_max !== null)) {
    const dport = proto === 'tcp' ? TCP_PORT : UDP_PORT;
    if (dport < (r.port_range_min ?? 1) || dport > (r.port_range_max ?? 65535)) return false;
  }
  if (r.protocol !== null && proto === 'icmp' && r.port_range_min !== null && r.port_range_min !== 8) return false;
  if (r.remote_ip_prefix !== null) return inPrefix(r.remote_ip_prefix, remoteIp);
  if (r.remote_group_id !== null) return ports.some((p) => p.security_groups.includes(r.remote_group_id as string) && p.fixed_ips.some((f) => f.ip_address === remoteIp));
  return true;
}

function expectedCell(src: Port, dst: Port, proto: Proto, rules: readonly Rule[], ports: readonly Port[]): boolean {
  const side = (p: Port, direction: string, remote: string) => !p.port_security_enabled
    || rules.some((r) => p.security_groups.includes(r.security_group_id) && r.direction === direction && ruleAllows(r, proto, remote, ports));
  const srcIp = src.fixed_ips[0]?.ip_address as string;
  const dstIp = dst.fixed_ips[0]?.ip_address as string;
  return side(src, 'egress', dstIp) && side(dst, 'ingress', srcIp);
}

// ---- Probes with real packets, from inside each server's network namespace. ----

/** TCP 8000 and UDP 9000 answered inside the server's namespace (a Node process, killed after). */
const SERVE = `const net=require('net'),dgram=require('dgram');
net.createServer((s)=>{s.end('ok');s.on('error',()=>{});}).listen(${TCP_PORT});
const u=dgram.createSocket('udp4');u.on('message',(m,r)=>u.send(m,r.port,r.address));u.bind(${UDP_PORT});`;

/** Probes every target at once: TCP connect and answer, UDP echo, one ICMP echo; prints JSON. */
const PROBE = `const net=require('net'),dgram=require('dgram'),{execFile}=require('child_process');
const targets=JSON.parse(process.argv[1]);const T=1200;
const tcp=(ip)=>new Promise((res)=>{const s=net.connect(${TCP_PORT},ip);const t=setTimeout(()=>{s.destroy();res(false);},T);
 s.on('data',()=>{clearTimeout(t);s.destroy();res(true);});s.on('error',()=>{clearTimeout(t);res(false);});});
const udp=(ip)=>new Promise((res)=>{const u=dgram.createSocket('udp4');const done=(v)=>{clearTimeout(t);clearInterval(i);u.close();res(v);};
 const t=setTimeout(()=>done(false),T);u.on('message',()=>done(true));const send=()=>u.send('probe',${UDP_PORT},ip);send();const i=setInterval(send,300);});
const icmp=(ip)=>new Promise((res)=>execFile('busybox',['ping','-c','1','-W','1',ip],(err)=>res(!err)));
Promise.all(targets.map(async(ip)=>[ip,{tcp:await tcp(ip),udp:await udp(ip),icmp:await icmp(ip)}])).then((r)=>{console.log(JSON.stringify(Object.fromEntries(r)));});`;

const skip = rootSkip() || rawFramesSkip();

describe('firewall: reachability truth table and spoofing with real instances', { skip }, () => {
  let kumo: KumoProcess;
  let home: string;
  let root: RootSnapshot;
  let adminToken = '';
  const tokens = new Map<string, string>();
  const servers: Server[] = [];
  const defaultGroup = new Map<string, string>();
  const projectIds = new Map<string, string>();
  const servingProcesses: ChildProcess[] = [];

  const call = async (method: string, path: string, options: RequestOptions = {}, token = adminToken): Promise<TestResponse> => request(kumo.url, method, path, { token, ...options });
  const expectStatus = (res: TestResponse, status: number, what: string) => assert.equal(res.status, status, `${what}: ${res.status} ${res.text}`);

  async function observedTable(): Promise<Map<string, boolean>> {
    const out = new Map<string, boolean>();
    await Promise.all(servers.map(async (src) => {
      const targets = servers.filter((s) => s !== src).map((s) => s.ip);
      const r = await run(['ip', 'netns', 'exec', src.ns, process.execPath, '-e', PROBE, JSON.stringify(targets)], { timeoutMs: 30_000 });
      const results = JSON.parse(r.stdout) as Record<string, Record<Proto, boolean>>;
      for (const dst of servers) if (dst !== src) for (const p of PROTOCOLS) out.set(`${src.name}→${dst.name} ${p}`, results[dst.ip]?.[p] ?? false);
    }));
    return out;
  }

  async function expectedTable(): Promise<Map<string, boolean>> {
    const rules = (await call('GET', '/network/v2.0/security-group-rules')).body.security_group_rules as Rule[];
    const ports = (await call('GET', '/network/v2.0/ports?device_owner=compute:nova')).body.ports as Port[];
    const portOf = (s: Server) => ports.find((p) => p.id === s.portId) as Port;
    const out = new Map<string, boolean>();
    for (const src of servers) for (const dst of servers) if (src !== dst) for (const p of PROTOCOLS) out.set(`${src.name}→${dst.name} ${p}`, expectedCell(portOf(src), portOf(dst), p, rules, ports));
    return out;
  }

  /** Observed equals expected (rule changes apply within a pass; the probe is retried briefly). */
  async function assertTable(what: string): Promise<void> {
    const expected = await expectedTable();
    let observed = await observedTable();
    for (let i = 0; i < 3 && !sameTable(observed, expected); i++) {
      await new Promise((r) => setTimeout(r, 700));
      observed = await observedTable();
    }
    const wrong = [...expected].filter(([k, v]) => observed.get(k) !== v).map(([k, v]) => `${k}: expected ${v ? 'pass' : 'drop'}, saw ${observed.get(k) ? 'pass' : 'drop'}`);
    assert.deepEqual(wrong, [], `${what}: cells that differ`);
    const open = [...expected].filter(([, v]) => v).length;
    process.stdout.write(`# ${what}: ${expected.size} cells equal (${open} pass, ${expected.size - open} drop)\n`);
  }
  const sameTable = (a: Map<string, boolean>, b: Map<string, boolean>) => [...b].every(([k, v]) => a.get(k) === v);

  async function addRule(project: string, rule: Record<string, unknown>): Promise<string> {
    const res = await call('POST', '/network/v2.0/security-group-rules', { body: { security_group_rule: { security_group_id: defaultGroup.get(project), ethertype: 'IPv4', ...rule } } });
    expectStatus(res, 201, `rule ${JSON.stringify(rule)}`);
    return res.body.security_group_rule.id;
  }

  before(async () => {
    root = await snapshotRootNetns();
    home = mkdtempSync('/tmp/sg-truth-');
    kumo = await startKumoProcess({ home, env: { KUMO_DATAPLANE: 'linux', KUMO_PROVISION_DEMO: '0' } });
    const password = kumo.adminRc().OS_PASSWORD ?? '';
    adminToken = await passwordToken(kumo.url, 'admin', password, 'admin');
    const adminUser = (await call('GET', '/v3/users?name=admin')).body.users[0].id;
    const adminRole = (await call('GET', '/v3/roles?name=admin')).body.roles[0].id;
    for (const name of PROJECTS) {
      const p = await call('POST', '/v3/projects', { body: { project: { name, domain_id: 'default' } } });
      expectStatus(p, 201, `project ${name}`);
      expectStatus(await call('PUT', `/v3/projects/${p.body.project.id}/users/${adminUser}/roles/${adminRole}`), 204, 'role');
      tokens.set(name, await passwordToken(kumo.url, 'admin', password, name));
      projectIds.set(name, p.body.project.id);
    }
    const net = await call('POST', '/network/v2.0/networks', { body: { network: { name: 'tt-net', shared: true } } });
    expectStatus(net, 201, 'network');
    expectStatus(await call('POST', '/network/v2.0/subnets', { body: { subnet: { network_id: net.body.network.id, cidr: '10.66.0.0/24', ip_version: 4 } } }), 201, 'subnet');
    const image = (await call('GET', '/image/v2/images?name=cirros')).body.images[0].id;
    const ids: { name: string; project: string; id: string }[] = [];
    for (const project of PROJECTS) {
      for (const n of [1, 2]) {
        const name = `${project}-s${n}`;
        const res = await call('POST', '/compute/v2.1/servers', { body: { server: { name, flavorRef: '0', imageRef: image, networks: [{ uuid: net.body.network.id }] } } }, tokens.get(project));
        expectStatus(res, 202, `server ${name}`);
        ids.push({ name, project, id: res.body.server.id });
      }
      // An admin sees every project's default group: ask for this project's.
      const groups = await call('GET', `/network/v2.0/security-groups?name=default&project_id=${projectIds.get(project)}`, {}, tokens.get(project));
      assert.equal(groups.body.security_groups.length, 1, groups.text);
      defaultGroup.set(project, groups.body.security_groups[0].id);
    }
    const prefix = homePrefix(homeHash(home));
    for (const s of ids) {
      const detail = await waitFor(`${s.name} ACTIVE`, async () => {
        const d = (await call('GET', `/compute/v2.1/servers/${s.id}`)).body.server;
        assert.notEqual(d.status, 'ERROR', JSON.stringify(d.fault));
        return d.status === 'ACTIVE' && d;
      }, 180_000);
      const port = (await call('GET', `/network/v2.0/ports?device_id=${s.id}`)).body.ports[0];
      servers.push({ name: s.name, project: s.project, ns: `${prefix}${detail['OS-EXT-SRV-ATTR:instance_name']}`, ip: port.fixed_ips[0].ip_address, mac: port.mac_address, portId: port.id });
    }
    for (const s of servers) {
      // Configured by DHCP at boot; wait until the guest has its address before serving on it.
      await waitFor(`${s.name} has ${s.ip}`, async () => (await run(['ip', '-n', s.ns, '-4', '-o', 'addr'])).stdout.includes(`${s.ip}/`), 60_000);
      const child = spawn('ip', ['netns', 'exec', s.ns, process.execPath, '-e', SERVE], { stdio: 'ignore' });
      servingProcesses.push(child);
    }
  });

  after(async () => {
    for (const c of servingProcesses) if (c.pid !== undefined && c.exitCode === null) c.kill('SIGKILL');
    await kumo?.kill('SIGTERM');
    await run(['node', MAIN, 'down'], { env: { KUMO_HOME: home } });
    const prefix = homePrefix(homeHash(home));
    assert.deepEqual([...await listNamespaces()].filter((n) => n.startsWith(prefix)), [], 'kumo down left namespaces');
    await assertRootNetnsUnchanged(root);
    removeHome(home);
  });

  it('matches the expected truth table with the default groups, and after each rule change', async () => {
    await assertTable('default groups');
    const icmp = await addRule('tt-p1', { direction: 'ingress', protocol: 'icmp', remote_ip_prefix: '0.0.0.0/0' });
    await assertTable('+ p1 ingress icmp from anywhere');
    await addRule('tt-p2', { direction: 'ingress', protocol: 'tcp', port_range_min: TCP_PORT, port_range_max: TCP_PORT, remote_group_id: defaultGroup.get('tt-p3') });
    await assertTable('+ p2 ingress tcp from p3\'s group');
    await addRule('tt-p3', { direction: 'ingress', protocol: 'udp', port_range_min: UDP_PORT, port_range_max: UDP_PORT, remote_ip_prefix: '10.66.0.0/24' });
    expectStatus(await call('DELETE', `/network/v2.0/security-group-rules/${icmp}`), 204, 'delete icmp rule');
    await assertTable('+ p3 ingress udp from the subnet, - p1 icmp');
    const rules = (await call('GET', `/network/v2.0/security-group-rules?security_group_id=${defaultGroup.get('tt-p2')}&direction=egress&ethertype=IPv4`)).body.security_group_rules;
    expectStatus(await call('DELETE', `/network/v2.0/security-group-rules/${rules[0].id}`), 204, 'delete p2 egress');
    await assertTable('- p2 egress IPv4');
  });

  it('delivers no forged frame from inside an instance, and all of them once its port security is off', async () => {
    const [sender, receiver] = [servers[0] as Server, servers[5] as Server];
    // The receiver filters nothing, so only the sender's port security can stop a frame.
    expectStatus(await call('PUT', `/network/v2.0/ports/${receiver.portId}`, { body: { port: { security_groups: [], port_security_enabled: false } } }), 200, 'receiver open');
    const matrix = (tag: string) => {
      const frames = {
        foreignIp: udpFrame({ srcMac: sender.mac, dstMac: receiver.mac, srcIp: '10.66.0.250', dstIp: receiver.ip, srcPort: 4000, dstPort: 4000, token: `foreign-ip-${tag}` }),
        foreignMac: udpFrame({ srcMac: '02:00:00:00:00:99', dstMac: receiver.mac, srcIp: sender.ip, dstIp: receiver.ip, srcPort: 4000, dstPort: 4000, token: `foreign-mac-${tag}` }),
        dhcpOffer: udpFrame({ srcMac: sender.mac, dstMac: 'ff:ff:ff:ff:ff:ff', srcIp: sender.ip, dstIp: '255.255.255.255', srcPort: 67, dstPort: 68, token: `dhcp-offer-${tag}` }),
        control: udpFrame({ srcMac: sender.mac, dstMac: receiver.mac, srcIp: sender.ip, dstIp: receiver.ip, srcPort: 4000, dstPort: 4000, token: `control-${tag}` }),
      };
      const garp = gratuitousArp(sender.mac, (servers[1] as Server).ip);
      const tokens: Record<string, string> = {
        foreignIp: tokenHex(`foreign-ip-${tag}`), foreignMac: tokenHex(`foreign-mac-${tag}`), dhcpOffer: tokenHex(`dhcp-offer-${tag}`), control: tokenHex(`control-${tag}`),
        garp: garp.token,
      };
      return { frames: [...Object.values(frames), garp.frame], tokens };
    };
    const delivered = async (tag: string) => {
      const m = matrix(tag);
      const seen = await captureWhile(receiver.ns, 'ens3', 1.5, Object.values(m.tokens), () => sendFrames(sender.ns, 'ens3', m.frames));
      return Object.fromEntries(Object.entries(m.tokens).map(([k, t]) => [k, seen.has(t)]));
    };
    await waitFor('receiver unfiltered', async () => (await delivered('probe')).control, 10_000);
    assert.deepEqual(await delivered('secured'), { foreignIp: false, foreignMac: false, dhcpOffer: false, control: true, garp: false });
    expectStatus(await call('PUT', `/network/v2.0/ports/${sender.portId}`, { body: { port: { security_groups: [], port_security_enabled: false } } }), 200, 'sender open');
    const open = await waitFor('port security lifted', async () => { const d = await delivered('open'); return d.foreignIp && d; }, 10_000);
    assert.deepEqual(open, { foreignIp: true, foreignMac: true, dhcpOffer: true, control: true, garp: true });
  });
});
