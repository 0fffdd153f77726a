/**
 * The fake compute driver: instances live in memory, every call is recorded (tests read
 * `calls`), and everything answers at once, so BUILD becomes ACTIVE in milliseconds without
 * root. Failures can be injected per operation to drive the lifecycle's error paths.
 */
import { Readable } from 'node:stream';
import {
  InstanceNotFoundOnHost, PowerState,
  type ComputeDriver, type HostInstance, type HostInterface, type InstanceSpec, type PowerStateValue, type RebootType, type Vif,
} from '../driver.js';

export type FakeOperation =
  | 'spawn' | 'destroy' | 'reboot' | 'powerOff' | 'powerOn' | 'pause' | 'unpause' | 'suspend' | 'resume'
  | 'attachInterface' | 'detachInterface' | 'consoleOutput' | 'snapshot' | 'rescue' | 'unrescue';

export interface FakeCall {
  readonly op: FakeOperation;
  readonly host: string;
  readonly uuid: string;
  /** The port for interface calls, the reboot type for reboots. */
  readonly detail?: string;
  readonly at: number;
}

interface FakeInstance {
  readonly spec: InstanceSpec;
  powerState: PowerStateValue;
  interfaces: HostInterface[];
  nextSlot: number;
  console: string[];
}

/** Devices a guest gets at boot after its NICs (disk, memory balloon): hot-plugs come after them. */
const BOOT_DEVICES_AFTER_NICS = 2;
const FIRST_SLOT = 3;

export interface FakeDriverOptions {
  /**
   * How long a snapshot takes to read. Everything else answers at once, but a snapshot copies a
   * disk: with a realistic duration a server is visibly busy (task_state image_snapshot) and a
   * second snapshot meanwhile is refused, as on a real host.
   */
  readonly snapshotMs?: number;
}

export class FakeDriver implements ComputeDriver {
  readonly hypervisorType = 'fake';
  private readonly snapshotMs: number;

  constructor(options: FakeDriverOptions = {}) {
    this.snapshotMs = options.snapshotMs ?? 200;
  }

  readonly calls: FakeCall[] = [];
  private readonly hosts = new Map<string, Map<string, FakeInstance>>();
  private readonly failures = new Map<FakeOperation, string>();

  /** The next call of `op` throws with this message (once). */
  failNext(op: FakeOperation, message = `fake ${op} failure`): void {
    this.failures.set(op, message);
  }

  /** Calls recorded for one instance (optionally one operation), oldest first. */
  callsFor(uuid: string, op?: FakeOperation): FakeCall[] {
    return this.calls.filter((c) => c.uuid === uuid && (op === undefined || c.op === op));
  }

  async spawn(spec: InstanceSpec, vifs: readonly Vif[]): Promise<void> {
    this.record('spawn', spec.host, spec.uuid);
    const onHost = this.host(spec.host);
    // The instance is already there (a spawn repeated after a restart): nothing to add.
    if (onHost.has(spec.uuid)) return;
    const interfaces = vifs.map((v, i) => ({ portId: v.portId, macAddress: v.macAddress, slot: FIRST_SLOT + i }));
    onHost.set(spec.uuid, {
      spec, powerState: PowerState.RUNNING, interfaces,
      nextSlot: FIRST_SLOT + vifs.length + BOOT_DEVICES_AFTER_NICS,
      console: bootLog(spec, vifs),
    });
  }

  async destroy(host: string, uuid: string): Promise<void> {
    this.record('destroy', host, uuid);
    this.host(host).delete(uuid);
  }

  async reboot(host: string, uuid: string, type: RebootType): Promise<void> {
    this.record('reboot', host, uuid, type);
    const inst = this.get(host, uuid);
    inst.powerState = PowerState.RUNNING;
    inst.console.push(`[reboot ${type.toLowerCase()}]`, ...bootLog(inst.spec, []));
  }

  async powerOff(host: string, uuid: string): Promise<void> {
    this.record('powerOff', host, uuid);
    const inst = this.get(host, uuid);
    if (inst.powerState !== PowerState.SHUTDOWN) inst.console.push('The system is going down NOW!', 'Requesting system poweroff');
    inst.powerState = PowerState.SHUTDOWN;
  }

  async powerOn(host: string, uuid: string): Promise<void> {
    this.record('powerOn', host, uuid);
    const inst = this.get(host, uuid);
    if (inst.powerState !== PowerState.RUNNING) inst.console.push(...bootLog(inst.spec, []));
    inst.powerState = PowerState.RUNNING;
  }

  async pause(host: string, uuid: string): Promise<void> {
    this.record('pause', host, uuid);
    this.transition(host, uuid, PowerState.RUNNING, PowerState.PAUSED, 'pause');
  }

  async unpause(host: string, uuid: string): Promise<void> {
    this.record('unpause', host, uuid);
    this.transition(host, uuid, PowerState.PAUSED, PowerState.RUNNING, 'unpause');
  }

  async suspend(host: string, uuid: string): Promise<void> {
    this.record('suspend', host, uuid);
    this.transition(host, uuid, PowerState.RUNNING, PowerState.SUSPENDED, 'suspend');
  }

  async resume(host: string, uuid: string): Promise<void> {
    this.record('resume', host, uuid);
    this.transition(host, uuid, PowerState.SUSPENDED, PowerState.RUNNING, 'resume');
  }

  async attachInterface(host: string, uuid: string, vif: Vif): Promise<void> {
    this.record('attachInterface', host, uuid, vif.portId);
    const inst = this.get(host, uuid);
    if (inst.interfaces.some((i) => i.portId === vif.portId)) return;
    inst.interfaces.push({ portId: vif.portId, macAddress: vif.macAddress, slot: inst.nextSlot++ });
  }

  async detachInterface(host: string, uuid: string, portId: string): Promise<void> {
    this.record('detachInterface', host, uuid, portId);
    const inst = this.get(host, uuid);
    inst.interfaces = inst.interfaces.filter((i) => i.portId !== portId);
  }

  async snapshot(host: string, uuid: string): Promise<Readable> {
    this.record('snapshot', host, uuid);
    const inst = this.get(host, uuid);
    const data = Buffer.from(`kumo fake snapshot of ${inst.spec.name} (${uuid}) from image ${inst.spec.imageRef}\n`);
    const delay = this.snapshotMs;
    return Readable.from((async function* copy() {
      await new Promise((resolve) => setTimeout(resolve, delay));
      yield data;
    })());
  }

  async rescue(host: string, uuid: string, rescueImageRef: string): Promise<void> {
    this.record('rescue', host, uuid, rescueImageRef);
    const inst = this.get(host, uuid);
    inst.powerState = PowerState.RUNNING;
    inst.console.push(`[rescue from image ${rescueImageRef}]`, ...bootLog(inst.spec, []));
  }

  async unrescue(host: string, uuid: string): Promise<void> {
    this.record('unrescue', host, uuid);
    const inst = this.get(host, uuid);
    inst.powerState = PowerState.RUNNING;
    inst.console.push('[unrescue]', ...bootLog(inst.spec, []));
  }

  async consoleOutput(host: string, uuid: string): Promise<string> {
    this.record('consoleOutput', host, uuid);
    return this.get(host, uuid).console.map((l) => `${l}\n`).join('');
  }

  async instance(host: string, uuid: string): Promise<HostInstance | null> {
    const inst = this.host(host).get(uuid);
    return inst ? snapshot(inst) : null;
  }

  async instances(host: string): Promise<HostInstance[]> {
    return [...this.host(host).values()].map(snapshot);
  }

  private record(op: FakeOperation, host: string, uuid: string, detail?: string): void {
    this.calls.push(detail === undefined ? { op, host, uuid, at: Date.now() } : { op, host, uuid, detail, at: Date.now() });
    const failure = this.failures.get(op);
    if (failure !== undefined) {
      this.failures.delete(op);
      throw new Error(failure);
    }
  }

  private host(name: string): Map<string, FakeInstance> {
    let map = this.hosts.get(name);
    if (!map) {
      map = new Map();
      this.hosts.set(name, map);
    }
    return map;
  }

  private get(host: string, uuid: string): FakeInstance {
    const inst = this.host(host).get(uuid);
    if (!inst) throw new InstanceNotFoundOnHost(uuid, host);
    return inst;
  }

  private transition(host: string, uuid: string, from: PowerStateValue, to: PowerStateValue, what: string): void {
    const inst = this.get(host, uuid);
    if (inst.powerState === to) return;
    if (inst.powerState !== from) throw new Error(`cannot ${what} instance ${uuid}: power state ${inst.powerState}`);
    inst.powerState = to;
  }
}

function snapshot(inst: FakeInstance): HostInstance {
  return { uuid: inst.spec.uuid, name: inst.spec.name, powerState: inst.powerState, interfaces: inst.interfaces.map((i) => ({ ...i })) };
}

/** A short cirros-like boot log, so console output has the lines people grep for. */
function bootLog(spec: InstanceSpec, vifs: readonly Vif[]): string[] {
  const lines = [
    `Linux version 5.15.0 (kumo fake) #1 SMP`,
    `Starting ${spec.hostname}...`,
  ];
  vifs.forEach((v, i) => {
    const ip = v.fixedIps[0]?.ipAddress;
    lines.push(`eth${i}: ${v.macAddress}${ip ? ` lease of ${ip} obtained` : ''}`);
  });
  lines.push(`=== ${spec.name} ready ===`, `login as 'cirros' user.`, `${spec.hostname} login: `);
  return lines;
}
