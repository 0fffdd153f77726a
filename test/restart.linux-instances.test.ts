/**
 * Real instances survive `kill -9` of Kumo mid-boot, and `kumo down` leaves nothing (root only;
 * skipped with the reason otherwise). Kumo runs as a child process with the Linux data plane;
 * 20 cirros servers are asked for at once and Kumo is killed while they boot. Started again on
 * the same KUMO_HOME, all 20 reach ACTIVE and answer ping from their network's qdhcp-
 * namespace, and the kernel holds exactly what the record says: one namespace, one tap and one
 * init per server, one dnsmasq, nothing unrecorded. Then `kumo down` removes every namespace,
 * process and cgroup of the home and leaves the root namespace exactly as it was.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { run, runJson } from '../src/dataplane/linux/exec.js';
import { listNamespaces, namespacePids } from '../src/dataplane/linux/ip.js';
import { processArgv } from '../src/dataplane/linux/proc.js';
import { dhcpNamespace, homeHash, homePrefix, hostNamespace, tapName } from '../src/dataplane/names.js';
import { DataplaneRecord } from '../src/dataplane/record.js';
import { passwordToken, request, type RequestOptions, type TestResponse } from './helpers/cloud.js';
import { ping, processesMentioning, rootSkip, waitFor } from './helpers/dataplane.js';
import { removeHome, startKumoProcess, type KumoProcess } from './helpers/process.js';
import { assertRootNetnsUnchanged, rootMounts, snapshotRootNetns, type RootSnapshot } from './helpers/root-netns.js';
import { instanceInits } from './helpers/linux-host.js';

const MAIN = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const SERVERS = 20;
const ENV = { KUMO_DATAPLANE: 'linux' };

interface Server {
  readonly id: string;
  readonly instanceName: string;
  readonly ip: string;
  readonly portId: string;
}

describe('linux instances: kill -9 while 20 servers boot, restart, then kumo down', { skip: rootSkip() }, () => {
  let kumo: KumoProcess;
  let home: string;
  let root: RootSnapshot;
  let mounts: string[];
  let namespacesBefore: Set<string>;
  let token = '';
  let networkId = '';

  const call = async (method: string, path: string, options: RequestOptions = {}): Promise<TestResponse> => request(kumo.url, method, path, { token, ...options });
  const expect = (res: TestResponse, status: number, what: string) => assert.equal(res.status, status, `${what}: ${res.status} ${res.text}`);

  before(async () => {
    root = await snapshotRootNetns();
    mounts = await rootMounts();
    namespacesBefore = await listNamespaces();
    home = mkdtempSync('/tmp/kumo-restart-inst-');
    kumo = await startKumoProcess({ home, env: ENV });
    token = await passwordToken(kumo.url, 'admin', kumo.adminRc().OS_PASSWORD ?? '', 'admin');
  });

  after(async () => {
    await kumo?.kill('SIGKILL');
    // Whatever a failed case left, down removes it; the last case checks that down is complete.
    await run(['node', MAIN, 'down'], { env: { KUMO_HOME: home }, timeoutMs: 120_000 }).catch(() => undefined);
    removeHome(home);
  });

  async function servers(): Promise<Record<string, any>[]> {
    const res = await call('GET', '/compute/v2.1/servers/detail');
    expect(res, 200, 'list servers');
    return res.body.servers;
  }

  it('boots 20 servers, survives kill -9 mid-boot: all ACTIVE and pingable, no duplicate or orphan', async () => {
    const project = await call('GET', '/v3/projects?name=admin');
    expect(project, 200, 'admin project');
    expect(await call('PUT', `/compute/v2.1/os-quota-sets/${project.body.projects[0].id}`, { body: { quota_set: { instances: -1, cores: -1, ram: -1 } } }), 200, 'quota');
    const net = await call('POST', '/network/v2.0/networks', { body: { network: { name: 'restart-net' } } });
    expect(net, 201, 'network');
    networkId = net.body.network.id;
    // Security groups are enforced: as in Neutron, the qdhcp- namespace's ping needs an ICMP rule.
    const groups = await call('GET', `/network/v2.0/security-groups?name=default&project_id=${project.body.projects[0].id}`);
    expect(groups, 200, 'default group');
    expect(await call('POST', '/network/v2.0/security-group-rules', {
      body: { security_group_rule: { security_group_id: groups.body.security_groups[0].id, direction: 'ingress', ethertype: 'IPv4', protocol: 'icmp' } },
    }), 201, 'icmp rule');
    expect(await call('POST', '/network/v2.0/subnets', { body: { subnet: { network_id: networkId, cidr: '10.77.0.0/24', ip_version: 4 } } }), 201, 'subnet');
    const image = await call('GET', '/image/v2/images?name=cirros');
    expect(image, 200, 'cirros');
    const created = await call('POST', '/compute/v2.1/servers', {
      body: { server: { name: 'boot', flavorRef: '0', imageRef: image.body.images[0].id, networks: [{ uuid: networkId }], min_count: SERVERS, max_count: SERVERS } },
    });
    expect(created, 202, 'create 20 servers');

    // Killed while booting: some instances exist on the host, not all servers are ACTIVE yet.
    const instancesDir = `${home}/instances`;
    const onHost = () => (existsSync(instancesDir) ? readdirSync(instancesDir).filter((n) => n !== 'boot.sh').length : 0);
    await waitFor('the first instances on the host', async () => onHost() >= 3, 60_000);
    const activeAtKill = (await servers()).filter((s) => s.status === 'ACTIVE').length;
    await kumo.kill('SIGKILL');
    const atKill = `${activeAtKill} of ${SERVERS} ACTIVE, ${onHost()} on the host`;
    assert.ok(activeAtKill < SERVERS, `killed mid-boot (${atKill})`);
    process.stdout.write(`# killed with ${atKill}\n`);

    kumo = await startKumoProcess({ home, port: kumo.port, env: ENV });
    token = await passwordToken(kumo.url, 'admin', kumo.adminRc().OS_PASSWORD ?? '', 'admin');
    const all = await waitFor('20 servers ACTIVE', async () => {
      const list = await servers();
      assert.equal(list.filter((s) => s.status === 'ERROR').length, 0, JSON.stringify(list.map((s) => s.fault).filter(Boolean)));
      return list.length === SERVERS && list.every((s) => s.status === 'ACTIVE') && list;
    }, 120_000);
    const ports = await call('GET', `/network/v2.0/ports?network_id=${networkId}&device_owner=compute:nova`);
    expect(ports, 200, 'ports');
    const list: Server[] = all.map((s) => {
      const port = ports.body.ports.find((p: Record<string, any>) => p.device_id === s.id);
      assert.ok(port, `server ${s.id} has one port`);
      return { id: s.id, instanceName: s['OS-EXT-SRV-ATTR:instance_name'], ip: port.fixed_ips[0].ip_address, portId: port.id };
    });
    assert.equal(ports.body.ports.length, SERVERS, 'one port per server');

    // Each answers ping from the network's DHCP namespace (its address came from dnsmasq).
    const qdhcp = dhcpNamespace(networkId);
    for (const s of list) {
      await waitFor(`ping ${s.ip}`, async () => (await ping(qdhcp, s.ip, 1)).received === 1, 30_000);
    }

    // The kernel holds exactly what the record holds, and that is one of each per server.
    const prefix = homePrefix(homeHash(home));
    const record = new DataplaneRecord(home);
    const existing = await listNamespaces();
    const ours = [...existing].filter((n) => n.startsWith(prefix) || n === qdhcp).sort();
    assert.deepEqual(ours, record.namespaces().map((n) => n.name).sort(), 'namespaces: kernel = record');
    const host = hostNamespace(homeHash(home), record.namespaces().find((n) => n.kind === 'host')?.host as string);
    assert.deepEqual(ours, [...list.map((s) => `${prefix}${s.instanceName}`), `${prefix}fabric`, host, qdhcp].sort(), 'namespaces: one per server');

    const links = await runJson<{ ifname: string }[]>(['ip', '-n', host, '-j', 'link', 'show']);
    const taps = links.map((l) => l.ifname).filter((n) => n.startsWith('tap')).sort();
    const dhcpPorts = await call('GET', `/network/v2.0/ports?network_id=${networkId}&device_owner=network:dhcp`);
    assert.deepEqual(taps, [...list.map((s) => tapName(s.portId)), ...dhcpPorts.body.ports.map((p: { id: string }) => tapName(p.id))].sort(), 'veths: one tap per port');

    for (const s of list) {
      const ns = `${prefix}${s.instanceName}`;
      assert.equal((await instanceInits(ns)).length, 1, `${s.instanceName}: one init`);
    }
    const dnsmasqs = (await namespacePids(qdhcp)).filter((pid) => (processArgv(pid)?.[0] ?? '').endsWith('dnsmasq'));
    assert.equal(dnsmasqs.length, 1, 'one dnsmasq');
    const recorded = record.processes();
    assert.deepEqual(recorded.filter((p) => p.purpose.startsWith('dnsmasq')).map((p) => p.pid), dnsmasqs, 'dnsmasq: kernel = record');
    assert.equal(recorded.filter((p) => p.purpose.includes(' init')).length, SERVERS, 'inits: one record per server');
    // Nothing of this home runs outside a recorded namespace: every process naming the home
    // (dnsmasq's pid file, an instance's boot script) is inside one of ours.
    const inOurs = new Set<number>();
    for (const ns of ours) for (const pid of await namespacePids(ns)) inOurs.add(pid);
    assert.deepEqual(processesMentioning(home).filter((pid) => !inOurs.has(pid)), [], 'no orphan process');
  });

  it('kumo down leaves no namespace, process, cgroup or mount of the home, and the root namespace unchanged', async () => {
    const record = new DataplaneRecord(home);
    const cgroups = record.cgroups().map((c) => c.path);
    await kumo.kill('SIGTERM');
    const down = await run(['node', MAIN, 'down'], { env: { KUMO_HOME: home }, timeoutMs: 120_000 });
    assert.match(down.stdout, /kumo down: removed \d+ namespaces/);
    const prefix = homePrefix(homeHash(home));
    const added = [...(await listNamespaces())].filter((n) => !namespacesBefore.has(n));
    assert.deepEqual(added.filter((n) => n.startsWith(prefix) || n === dhcpNamespace(networkId)), [], 'namespaces of the home');
    assert.deepEqual(processesMentioning(home), [], 'processes of the home');
    assert.deepEqual(cgroups.filter((p) => existsSync(p)), [], 'cgroups of the home');
    assert.deepEqual(record.namespaces(), [], 'record: namespaces');
    assert.deepEqual(record.processes(), [], 'record: processes');
    assert.deepEqual(record.cgroups(), [], 'record: cgroups');
    assert.deepEqual(await rootMounts(), mounts, 'mounts of the root mount namespace');
    await assertRootNetnsUnchanged(root, home);
  });
});
