import type { Readable } from 'node:stream';

/**
 * The compute driver interface: what the lifecycle asks of a hypervisor host. Every call is
 * idempotent where Nova's is (destroying a missing instance is fine, powering off a stopped one
 * is fine), names the host it acts on, and answers only when the host has done it. The fake
 * driver (fake/) records the calls; the Linux driver will run instances as containers.
 */

/** Nova's power states, as the API shows them in OS-EXT-STS:power_state. */
export const PowerState = {
  NOSTATE: 0,
  RUNNING: 1,
  PAUSED: 3,
  SHUTDOWN: 4,
  CRASHED: 6,
  SUSPENDED: 7,
} as const;
export type PowerStateValue = (typeof PowerState)[keyof typeof PowerState];

/** One network interface of an instance: a Neutron port as the host plugs it. */
export interface Vif {
  readonly portId: string;
  readonly networkId: string;
  readonly macAddress: string;
  readonly fixedIps: readonly { readonly subnetId: string; readonly ipAddress: string }[];
  readonly mtu: number;
  /** Host-side device name, as Nova names it: tap + the first 11 characters of the port id. */
  readonly devname: string;
}

/** What a host needs to know to run an instance. */
export interface InstanceSpec {
  readonly uuid: string;
  /** The instance's name on the host: instance-%08x. */
  readonly name: string;
  readonly host: string;
  readonly hostname: string;
  readonly vcpus: number;
  readonly memoryMb: number;
  readonly rootGb: number;
  readonly imageRef: string;
  readonly keyData: string | null;
  readonly userData: string | null;
  readonly adminPass: string | null;
  readonly metadata: Readonly<Record<string, string>>;
  /**
   * The config drive's files (openstack/<version>/..., ec2/<version>/...) when the server asked
   * for one (config_drive); null otherwise, and the guest reads the metadata service instead.
   */
  readonly configDrive: readonly { readonly path: string; readonly body: string | Buffer }[] | null;
}

/** An interface as the guest sees it. */
export interface HostInterface {
  readonly portId: string;
  readonly macAddress: string;
  /**
   * The guest's PCI-like slot: boot interfaces from 3, hot-plugged ones on the next slot never
   * used before (a re-plugged port comes back on a new slot, as seed 000 saw: ens6, then ens7).
   */
  readonly slot: number;
}

/** An instance as a host reports it. */
export interface HostInstance {
  readonly uuid: string;
  readonly name: string;
  readonly powerState: PowerStateValue;
  /** The interfaces plugged in, in plug order. */
  readonly interfaces: readonly HostInterface[];
}

export type RebootType = 'SOFT' | 'HARD';

/** Thrown when the host has no such instance (an operation other than destroy). */
export class InstanceNotFoundOnHost extends Error {
  constructor(readonly uuid: string, readonly host: string) {
    super(`Instance ${uuid} could not be found on host ${host}.`);
    this.name = 'InstanceNotFoundOnHost';
  }
}

export interface ComputeDriver {
  /** Nova's hypervisor_type for hosts this driver runs (the fake says 'fake'). */
  readonly hypervisorType: string;
  /**
   * Creates and starts the instance with its interfaces. Spawning an instance the host already
   * has (a spawn a restart cut short) completes it without starting anything twice. On failure
   * the caller destroys it.
   */
  spawn(instance: InstanceSpec, vifs: readonly Vif[]): Promise<void>;
  /** Stops and removes the instance and its interfaces; a missing instance is not an error. */
  destroy(host: string, uuid: string): Promise<void>;
  reboot(host: string, uuid: string, type: RebootType): Promise<void>;
  powerOff(host: string, uuid: string): Promise<void>;
  powerOn(host: string, uuid: string): Promise<void>;
  pause(host: string, uuid: string): Promise<void>;
  unpause(host: string, uuid: string): Promise<void>;
  suspend(host: string, uuid: string): Promise<void>;
  resume(host: string, uuid: string): Promise<void>;
  /** Hot-plugs an interface into a running or stopped instance; plugging it twice is a no-op. */
  attachInterface(host: string, uuid: string, vif: Vif): Promise<void>;
  /** Unplugs the interface; an interface that is not plugged is not an error. */
  detachInterface(host: string, uuid: string, portId: string): Promise<void>;
  /**
   * The instance's root disk as image data (a snapshot for createImage, createBackup and
   * shelve), in the format the instance was booted from; the instance keeps running.
   */
  snapshot(host: string, uuid: string): Promise<Readable>;
  /** Boots the instance from a rescue image with its own disk attached; unrescue undoes it. */
  rescue(host: string, uuid: string, rescueImageRef: string): Promise<void>;
  unrescue(host: string, uuid: string): Promise<void>;
  /** The instance's whole console log. */
  consoleOutput(host: string, uuid: string): Promise<string>;
  /** The instance as the host sees it, or null when the host has none. */
  instance(host: string, uuid: string): Promise<HostInstance | null>;
  /** Every instance the host runs (the lifecycle converges them with the store at start). */
  instances(host: string): Promise<HostInstance[]>;
}
