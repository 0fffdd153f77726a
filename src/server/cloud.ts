/**
 * Assembles a whole cloud in one process: store, identity, HTTP server with every service
 * plugin, bootstrap, catalog. `npm start` and the in-process tests both start it from here.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import pino, { type Logger } from 'pino';
import type { FastifyInstance } from 'fastify';
import type { KumoConfig } from '../config/config.js';
import { openStore, type Store } from '../store/store.js';
import { createHttpServer } from '../api/app.js';
import { installErrorHandler } from '../api/error-handler.js';
import { keystoneFault } from '../api/fault-bodies.js';
import { notFound } from '../api/errors.js';
import { IdentityService } from '../identity/service.js';
import { identityPlugin } from '../identity/plugin.js';
import { NetworkService } from '../network/service.js';
import { networkPlugin } from '../network/plugin.js';
import { ImageService } from '../image/service.js';
import { imagePlugin } from '../image/plugin.js';
import { ComputeService } from '../compute/service.js';
import { computePlugin } from '../compute/plugin.js';
import { bootstrapCompute } from '../compute/catalog/bootstrap.js';
import { loadNetworkSettings, type NetworkSettings } from '../network/settings.js';
import { bootstrapNetwork } from '../network/bootstrap.js';
import { provisionDemo } from '../network/provision.js';
import { bootstrapIdentity } from '../bootstrap/identity.js';
import { reconcileCatalog, type ServedService } from '../bootstrap/catalog.js';
import { writeRcFiles, type RcFiles } from '../bootstrap/rc-files.js';
import { HostRegistry, localHostSpec, type HostSpec } from '../hosts/registry.js';
import { Agent } from '../agent/agent.js';
import { metadataProxyUnavailable, selectDataplane } from '../dataplane/select.js';
import { LinuxDataplane } from '../dataplane/drivers/linux/driver.js';
import { createDriver } from '../compute/driver/select.js';
import { LinuxComputeDriver } from '../compute/driver/linux/linux-driver.js';
import { MetadataService, metadataSocketPath } from '../metadata/server.js';

export interface Cloud {
  readonly config: KumoConfig;
  readonly store: Store;
  readonly identity: IdentityService;
  readonly network: NetworkService;
  readonly image: ImageService;
  readonly hosts: HostRegistry;
  readonly compute: ComputeService;
  /** The host this process runs (the all-in-one's only host). */
  readonly localHost: HostSpec;
  readonly app: FastifyInstance;
  /** Base URL the cloud answers on (the catalog's URLs start with it). */
  readonly url: string;
  readonly authUrl: string;
  readonly passwords: { readonly admin: string; readonly demo: string };
  readonly rcFiles: RcFiles;
  /** The local host's data-plane agent (null with KUMO_DATAPLANE=off). */
  readonly agent: Agent | null;
  /** Which data plane runs and why, in one line. */
  readonly dataplane: string;
  stop(): Promise<void>;
}

export const SERVED_SERVICES: readonly ServedService[] = [
  { type: 'identity', name: 'keystone', description: 'Kumo Identity Service (Keystone v3)', path: '/v3' },
  { type: 'network', name: 'neutron', description: 'Kumo Networking Service (Neutron v2.0)', path: '/network' },
  { type: 'image', name: 'glance', description: 'Kumo Image Service (Glance v2)', path: '/image' },
  { type: 'compute', name: 'nova', description: 'Kumo Compute Service (Nova v2.1)', path: '/compute/v2.1' },
];

export function createLogger(config: KumoConfig, destination?: string): Logger {
  if (destination === undefined) {
    mkdirSync(join(config.home, 'logs'), { recursive: true });
    destination = join(config.home, 'logs', 'kumo.log');
  }
  return pino({ level: config.logLevel, base: { service: 'kumo' } }, pino.destination({ dest: destination, sync: false, mkdir: true }));
}

/** Settings normally read from the environment, overridable by tests. */
export interface CloudOverrides {
  readonly network?: Partial<NetworkSettings>;
  readonly localHost?: Partial<HostSpec>;
}

export async function startCloud(config: KumoConfig, logger: Logger = createLogger(config), overrides: CloudOverrides = {}): Promise<Cloud> {
  mkdirSync(config.home, { recursive: true, mode: 0o700 });
  const store = await openStore({ databaseUrl: config.databaseUrl, sqliteFile: config.sqliteFile });
  let metadata: MetadataService | null = null;
  try {
    const identity = new IdentityService(store, config);
    const passwords = await bootstrapIdentity(store, {
      adminPassword: config.adminPassword,
      demoPassword: config.demoPassword,
      region: config.region,
      hashCost: config.passwordHashCost,
    });
    await identity.start();
    const hosts = new HostRegistry(store);
    // The data plane decides the compute driver (instances need its bridges), and the driver
    // the hypervisor type the local host reports.
    const dataplane = selectDataplane(config.dataplane, config.home);
    const computeDriver = createDriver(process.env, { home: config.home, linuxDataplane: dataplane.driver instanceof LinuxDataplane });
    const localHost: HostSpec = { ...localHostSpec(config.home), hypervisorType: computeDriver.hypervisorType, ...overrides.localHost };
    const stopHeartbeat = await hosts.runLocal(localHost);

    const app = createHttpServer({ logger });
    installErrorHandler(app, keystoneFault);
    // A successful Neutron write wakes the local agent at once (a floating IP is then applied
    // within one pass instead of after the next store poll); other agents still poll.
    let wakeAgent = (): void => undefined;
    app.addHook('onResponse', async (request, reply) => {
      if (request.method !== 'GET' && request.method !== 'HEAD' && reply.statusCode < 400 && request.url.startsWith('/network/')) wakeAgent();
    });
    app.setNotFoundHandler((request) => {
      throw notFound(`The resource could not be found: ${request.method} ${request.url.split('?')[0]}`);
    });
    await app.register(identityPlugin, { identity });
    const network = new NetworkService(store, { ...loadNetworkSettings(), ...overrides.network }, identity);
    await bootstrapNetwork(store);
    if (config.provisionDemo) await provisionDemo(network);
    await app.register(networkPlugin, { network, prefix: '/network' });
    const image = new ImageService(store, config, identity);
    await image.start();
    await app.register(imagePlugin, { image, prefix: '/image' });
    const compute = new ComputeService(store, config, identity, network, hosts, computeDriver);
    await bootstrapCompute(store, localHost.name);
    await app.register(computePlugin, { compute, prefix: '/compute' });

    await app.listen({ host: config.listenHost, port: config.listenPort });
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : config.listenPort;
    const url = config.listenPort === 0 ? config.publicUrl.replace(/:0$/, `:${port}`) : config.publicUrl;
    await reconcileCatalog(store, url, config.region, SERVED_SERVICES);
    // The local host's agent: a full reconcile before start returns; instances and dnsmasq
    // outlive the process and are adopted, not recreated, by the next start.
    logger.info({ dataplane: dataplane.reason, compute: compute.driver.hypervisorType }, 'data plane');
    // The metadata service answers the proxies the agent runs in each qdhcp- and qrouter- namespace.
    const noProxy = dataplane.driver instanceof LinuxDataplane ? metadataProxyUnavailable() : null;
    if (noProxy) logger.warn({ reason: noProxy }, 'no metadata service: instances boot without it');
    metadata = dataplane.driver && !noProxy ? await MetadataService.start({ db: store.db, socket: metadataSocketPath(config.home), logger }) : null;
    const agent = dataplane.driver && new Agent({
      store, driver: dataplane.driver, host: localHost.name, logger,
      dhcp: { domain: network.settings.dnsDomain },
      instancePortStatus: compute.driver.hypervisorType !== 'fake',
      hostAccess: config.hostAccess,
      ...(metadata ? { metadataSocket: metadata.socket } : {}),
    });
    if (agent && compute.driver instanceof LinuxComputeDriver) {
      compute.driver.kick = () => agent.kick();
      compute.driver.settle = (ports) => agent.settled(ports);
    }
    if (agent) wakeAgent = () => agent.kick();
    await agent?.start();
    identity.changed();
    const authUrl = `${url}/v3`;
    const rcFiles = writeRcFiles(config.home, authUrl, config.region,
      { user: 'admin', password: passwords.adminPassword, project: 'admin' },
      { user: 'demo', password: passwords.demoPassword, project: 'demo' });

    let stopped = false;
    return {
      config, store, identity, network, image, compute, hosts, localHost, app, url, authUrl, rcFiles, agent, dataplane: dataplane.reason,
      passwords: { admin: passwords.adminPassword, demo: passwords.demoPassword },
      async stop() {
        if (stopped) return;
        stopped = true;
        stopHeartbeat();
        await agent?.stop();
        await metadata?.close();
        await app.close();
        await store.close();
        logger.flush?.();
      },
    };
  } catch (err) {
    await metadata?.close();
    await store.close();
    throw err;
  }
}
