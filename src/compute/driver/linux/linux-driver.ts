/**
 * The Linux compute driver: an instance is a container. Its network namespace
 * (`kumo-<home hash>-instance-%08x`, recorded like every namespace Kumo makes) holds its NICs;
 * its own mount, UTS and PID namespaces hold an overlay root (the image unpacked once as the
 * lower layer, upper/work per instance) and a real init. NICs are veth pairs into the host's
 * namespace, where the data-plane agent plugs them into the network's bridge. Everything is
 * found again from state.json and verified PIDs, so instances survive a Kumo restart.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { run } from '../../../dataplane/linux/exec.js';
import { addNamespace, ipBatch, line, listNamespaces, namespacePids, showLinks } from '../../../dataplane/linux/ip.js';
import { deleteNs } from '../../../dataplane/drivers/linux/apply.js';
import { bridgeName, homeHash, hostNamespace, instanceNamespace } from '../../../dataplane/names.js';
import { DataplaneRecord } from '../../../dataplane/record.js';
import {
  InstanceNotFoundOnHost, PowerState,
  type ComputeDriver, type HostInstance, type InstanceSpec, type PowerStateValue, type RebootType, type Vif,
} from '../driver.js';
import { BOOT_SCRIPT } from './boot-script.js';
import { writeConfigDrive } from './config-drive.js';
import { ImageLayers } from './image.js';
import { InstanceGroups } from './groups.js';
import { alive, findRunningInit, halt, launch } from './init-process.js';
import { cutNetwork, unconfigureNics } from './quiesce.js';
import { guestName, nicLines, plug, unplug, wireTaps } from './nics.js';
import { InstanceFiles, initMarker, type InstanceState, type NicState } from './state.js';

export const HYPERVISOR_TYPE = 'kumo-container';

/** Devices a guest gets at boot after its NICs (disk, balloon): hot-plugs come after them (seed 000: ens6). */
const BOOT_DEVICES_AFTER_NICS = 2;
const FIRST_SLOT = 3;

export interface LinuxComputeOptions {
  readonly home: string;
  /** Glance's data directory (one file per image id). */
  readonly imagesDir: string;
  /** Asks the local data-plane agent for a pass (a new tap wants its bridge). */
  readonly kick?: () => void;
  /** How long to wait for the agent to make the host namespace. */
  readonly hostNsTimeoutMs?: number;
  /** False: no per-instance cgroups (pause by SIGSTOP), as on a host without a writable cgroup2. */
  readonly cgroups?: boolean;
  /** Resolves when the local agent has the ports' DHCP in place, or (no ports) after its next pass (Agent.settled). */
  readonly settle?: (ports?: readonly string[]) => Promise<void>;
}

/** The longest a new instance's init waits for its NICs to be wired (then it boots anyway; DHCP retries). */
const SETTLE_TIMEOUT_MS = 10_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class LinuxComputeDriver implements ComputeDriver {
  readonly hypervisorType = HYPERVISOR_TYPE;
  readonly files: InstanceFiles;
  readonly record: DataplaneRecord;
  readonly images: ImageLayers;
  readonly groups: InstanceGroups;
  private readonly hash: string;
  /** One operation at a time per instance (a power action racing a delete would misread state). */
  private readonly locks = new Map<string, Promise<unknown>>();
  kick: () => void;
  settle: (ports?: readonly string[]) => Promise<void>;

  constructor(private readonly options: LinuxComputeOptions) {
    this.files = new InstanceFiles(options.home);
    this.record = new DataplaneRecord(options.home);
    this.images = new ImageLayers(options.home, options.imagesDir);
    this.hash = homeHash(options.home);
    this.groups = new InstanceGroups(this.record, this.hash, options.cgroups ?? true);
    this.kick = options.kick ?? (() => undefined);
    this.settle = options.settle ?? (() => Promise.resolve());
  }

  private get bootScript(): string {
    const path = join(this.files.root, 'boot.sh');
    let current = '';
    try {
      current = readFileSync(path, 'utf8');
    } catch {
      // Written below.
    }
    if (current !== BOOT_SCRIPT) {
      mkdirSync(this.files.root, { recursive: true, mode: 0o700 });
      writeFileSync(path, BOOT_SCRIPT, { mode: 0o700 });
    }
    return path;
  }

  private serial<T>(uuid: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.locks.get(uuid) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    const settled = next.catch(() => undefined);
    this.locks.set(uuid, settled);
    void settled.then(() => {
      if (this.locks.get(uuid) === settled) this.locks.delete(uuid);
    });
    return next;
  }

  private state(host: string, uuid: string): InstanceState {
    const s = this.files.read(uuid);
    if (!s || s.host !== host) throw new InstanceNotFoundOnHost(uuid, host);
    return s;
  }

  /** The agent makes the host namespace on its first pass; a spawn right after start waits for it. */
  private async hostNs(host: string): Promise<string> {
    const ns = hostNamespace(this.hash, host);
    const deadline = Date.now() + (this.options.hostNsTimeoutMs ?? 15_000);
    while (!existsSync(`/run/netns/${ns}`)) {
      if (Date.now() > deadline) throw new Error(`host namespace ${ns} does not exist (is the data-plane agent running for host ${host}?)`);
      this.kick();
      await sleep(50);
    }
    return ns;
  }

  /**
   * Starts the init; `adopt` first looks for one a crash left running unrecorded. Given `ready`,
   * the init makes its mounts meanwhile and starts the guest once it resolves.
   */
  private async startInit(s: InstanceState, adopt = false, ready?: Promise<unknown>): Promise<InstanceState> {
    const dir = this.files.dir(s.uuid);
    const marker = initMarker(s.uuid);
    const gate = join(dir, 'gate');
    const running = adopt ? await findRunningInit(() => namespacePids(s.ns), marker, gate) : null;
    const init = running ?? await launch({
      bootScript: this.bootScript, instanceDir: dir, lowerDir: this.images.lowerDir(s.imageId),
      netnsPath: `/run/netns/${s.ns}`, consoleLog: this.files.consoleLog(s.uuid), marker,
      cgroupProcs: s.cgroup ? join(s.cgroup, 'cgroup.procs') : null, gate: ready ? gate : null,
    }, ready);
    this.record.noteProcess({ pid: init.pid, startTime: init.startTime, namespace: s.ns, purpose: `instance ${s.name} init`, marker: initMarker(s.uuid) });
    const next = { ...s, init, frozen: null };
    this.files.write(next);
    return next;
  }

  private async stopInit(s: InstanceState): Promise<InstanceState> {
    // A frozen init cannot run its halt trap: thaw it first.
    await this.groups.thaw(s.cgroup ?? null);
    if (s.init) {
      await halt(s.init, initMarker(s.uuid));
      this.record.forgetProcess(s.init.pid);
    }
    await this.groups.empty(s.cgroup ?? null);
    // Powered off: nothing answers for it any more (the kernel would, for addresses left behind).
    if (s.frozen) await cutNetwork(s, false).catch(() => undefined);
    await unconfigureNics(s);
    const next = { ...s, init: null, frozen: null };
    this.files.write(next);
    return next;
  }

  /**
   * Creates the instance, or completes one whose spawn a crash interrupted (state.json exists):
   * each step checks what is already there, so a second spawn of the same instance makes only
   * what is missing and adopts an init that is already running.
   */
  async spawn(spec: InstanceSpec, vifs: readonly Vif[]): Promise<void> {
    return this.serial(spec.uuid, async () => {
      const existing = this.files.read(spec.uuid);
      if (existing && existing.host !== spec.host) throw new Error(`instance ${spec.uuid} already exists on ${existing.host}`);
      const hostNs = await this.hostNs(spec.host);
      // The new ports are in the store already: the agent's pass for their DHCP entries runs
      // while the namespace and NICs are made.
      this.kick();
      await this.images.ensure(spec.imageRef);
      const dir = this.files.dir(spec.uuid);
      for (const sub of ['upper', 'work', 'root']) mkdirSync(join(dir, sub), { recursive: true, mode: 0o755 });
      writeConfigDrive(join(dir, 'meta'), spec);
      const ns = instanceNamespace(this.hash, spec.name);
      const nics: NicState[] = existing?.nics.slice()
        ?? vifs.map((v, i) => ({ portId: v.portId, mac: v.macAddress.toLowerCase(), slot: FIRST_SLOT + i, tap: v.devname, mtu: v.mtu, networkId: v.networkId }));
      let state: InstanceState = existing ?? {
        uuid: spec.uuid, name: spec.name, host: spec.host, ns, hostNs, imageId: spec.imageRef, nics,
        nextSlot: FIRST_SLOT + vifs.length + BOOT_DEVICES_AFTER_NICS, init: null, frozen: null, cgroup: null,
      };
      this.files.write(state);
      // Noted before it exists: a crash in between leaves a record, never an unrecorded namespace.
      this.record.noteNamespace(state.ns, spec.host, 'instance');
      // A spawn resumed after a crash looks before it makes; a new one need not.
      if (!existing || !(await listNamespaces()).has(state.ns)) await addNamespace(state.ns);
      const plugged = new Set(existing ? (await showLinks(state.ns)).map((l) => l.ifname) : []);
      const missing = state.nics.filter((n) => !plugged.has(guestName(n.slot)));
      await ipBatch(state.ns, [line('link', 'set', 'lo', 'up'), ...missing.flatMap((n) => nicLines(hostNs, n))]);
      const bridged = await wireTaps(hostNs, missing.map((n) => ({ tap: n.tap, bridge: n.networkId && bridgeName(n.networkId) })));
      // NICs already there (a resumed spawn) may not be in their bridges yet: the agent's pass says.
      const wired = bridged && missing.length === state.nics.length;
      state = { ...state, cgroup: this.groups.ensure(state.ns, spec.host, state.cgroup) };
      this.files.write(state);
      if (state.init && alive(state.init, initMarker(spec.uuid))) return;
      // As Nova waits for network-vif-plugged before it starts the guest: the taps in their
      // bridges and the ports in dnsmasq, then the guest boots, so its first DHCP request is
      // answered instead of retried a second later. Its mounts are made meanwhile.
      let timer: NodeJS.Timeout | undefined;
      const settled = this.settle(wired ? state.nics.map((n) => n.portId) : undefined);
      const ready = Promise.race([settled, new Promise((r) => { timer = setTimeout(r, SETTLE_TIMEOUT_MS); })]).finally(() => clearTimeout(timer));
      await this.startInit(state, existing !== null, ready);
    });
  }

  async destroy(host: string, uuid: string): Promise<void> {
    return this.serial(uuid, async () => {
      const s = this.files.read(uuid);
      if (!s || s.host !== host) return;
      const stopped = await this.stopInit(s);
      for (const nic of stopped.nics) await unplug(stopped.hostNs, nic.tap).catch(() => undefined);
      await deleteNs(this.record, stopped.ns);
      await this.groups.remove(stopped.ns, stopped.cgroup ?? null);
      rmSync(this.files.dir(uuid), { recursive: true, force: true });
      this.kick();
    });
  }

  async reboot(host: string, uuid: string, _type: RebootType): Promise<void> {
    return this.serial(uuid, async () => {
      const s = await this.stopInit(this.state(host, uuid));
      await this.startInit(s);
    });
  }

  async powerOff(host: string, uuid: string): Promise<void> {
    return this.serial(uuid, async () => {
      await this.stopInit(this.state(host, uuid));
    });
  }

  async powerOn(host: string, uuid: string): Promise<void> {
    return this.serial(uuid, async () => {
      const s = this.state(host, uuid);
      if (alive(s.init, initMarker(uuid))) return;
      await this.startInit(await this.stopInit(s), true);
    });
  }

  private async freeze(host: string, uuid: string, how: 'paused' | 'suspended', on: boolean): Promise<void> {
    return this.serial(uuid, async () => {
      const s = this.state(host, uuid);
      if (!s.init || !alive(s.init, initMarker(uuid))) throw new Error(`instance ${uuid} is not running`);
      if (on && s.frozen === how) return;
      if (!on && s.frozen !== how) {
        if (s.frozen === null) return;
        throw new Error(`instance ${uuid} is ${s.frozen}, not ${how}`);
      }
      // The cgroup freezer stops every process at once; without a group, SIGSTOP each member.
      // Off the network while frozen, as a paused VM is: cut before freezing, restored after.
      if (on) await cutNetwork(s, true);
      await this.groups.freeze(s.cgroup ?? null, s.init.pid, on);
      if (!on) await cutNetwork(s, false);
      this.files.write({ ...s, frozen: on ? how : null });
    });
  }

  pause(host: string, uuid: string): Promise<void> { return this.freeze(host, uuid, 'paused', true); }
  unpause(host: string, uuid: string): Promise<void> { return this.freeze(host, uuid, 'paused', false); }
  suspend(host: string, uuid: string): Promise<void> { return this.freeze(host, uuid, 'suspended', true); }
  resume(host: string, uuid: string): Promise<void> { return this.freeze(host, uuid, 'suspended', false); }

  async attachInterface(host: string, uuid: string, vif: Vif): Promise<void> {
    return this.serial(uuid, async () => {
      const s = this.state(host, uuid);
      if (s.nics.some((n) => n.portId === vif.portId)) return;
      const nic: NicState = { portId: vif.portId, mac: vif.macAddress.toLowerCase(), slot: s.nextSlot, tap: vif.devname, mtu: vif.mtu, networkId: vif.networkId };
      this.files.write({ ...s, nics: [...s.nics, nic], nextSlot: s.nextSlot + 1 });
      await plug(s.hostNs, s.ns, nic, bridgeName(vif.networkId));
      this.kick();
    });
  }

  async detachInterface(host: string, uuid: string, portId: string): Promise<void> {
    return this.serial(uuid, async () => {
      const s = this.state(host, uuid);
      const nic = s.nics.find((n) => n.portId === portId);
      if (!nic) return;
      await unplug(s.hostNs, nic.tap);
      this.files.write({ ...s, nics: s.nics.filter((n) => n.portId !== portId) });
      this.kick();
    });
  }

  async snapshot(host: string, uuid: string): Promise<Readable> {
    const s = this.state(host, uuid);
    // Running: its root as its init sees it (tar stays on that filesystem: no /proc, /dev).
    // Stopped: the overlay mounted in a throwaway mount namespace, never in the root one.
    const argv = s.init && alive(s.init, initMarker(uuid))
      ? ['tar', '--numeric-owner', '--one-file-system', '-C', `/proc/${s.init.pid}/root`, '-cf', '-', '.']
      : ['unshare', '--mount', '--propagation', 'private', '--', '/bin/sh', this.bootScript, 'snapshot', this.files.dir(uuid), this.images.lowerDir(s.imageId)];
    const child = spawn(argv[0] as string, argv.slice(1), { stdio: ['ignore', 'pipe', 'ignore'] });
    return child.stdout;
  }

  /** A rescue boots the same root again (no separate rescue disk for containers yet). */
  async rescue(host: string, uuid: string, rescueImageRef: string): Promise<void> {
    writeFileSync(this.files.consoleLog(this.state(host, uuid).uuid), `[kumo: rescue from image ${rescueImageRef}]\n`, { flag: 'a' });
    await this.reboot(host, uuid, 'HARD');
  }

  async unrescue(host: string, uuid: string): Promise<void> {
    await this.reboot(host, uuid, 'HARD');
  }

  async consoleOutput(host: string, uuid: string): Promise<string> {
    this.state(host, uuid);
    try {
      return readFileSync(this.files.consoleLog(uuid), 'utf8');
    } catch {
      return '';
    }
  }

  private view(s: InstanceState): HostInstance {
    let powerState: PowerStateValue = PowerState.SHUTDOWN;
    if (s.init && alive(s.init, initMarker(s.uuid))) {
      // Frozen is what the kernel says; whether that is a pause or a suspend, what Nova asked.
      const frozen = this.groups.frozen(s.cgroup ?? null, s.init.pid);
      powerState = !frozen ? PowerState.RUNNING : s.frozen === 'suspended' ? PowerState.SUSPENDED : PowerState.PAUSED;
    }
    return { uuid: s.uuid, name: s.name, powerState, interfaces: s.nics.map((n) => ({ portId: n.portId, macAddress: n.mac, slot: n.slot })) };
  }

  async instance(host: string, uuid: string): Promise<HostInstance | null> {
    const s = this.files.read(uuid);
    return s && s.host === host ? this.view(s) : null;
  }

  async instances(host: string): Promise<HostInstance[]> {
    return this.files.all().filter((s) => s.host === host).map((s) => this.view(s));
  }
}
