/**
 * The metadata service: node:http on a Unix socket under $KUMO_HOME, reached only through the
 * per-network and per-router proxies (Unix sockets cross network namespaces; nothing listens on
 * an address). Each proxy names where the request came from and the client's source address in
 * two headers it sets itself, replacing whatever the guest sent, as Neutron's metadata proxies
 * do: X-Neutron-Network-ID (a qdhcp- proxy) or X-Neutron-Router-ID (a qrouter- proxy), and
 * X-Forwarded-For. The service maps them to the one instance whose port holds that address on
 * that network (on one of that router's interface networks) and answers from that instance's
 * tree only: any other source gets 404.
 */
import { chmodSync, lstatSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { homeHash } from '../dataplane/names.js';
import type { Db } from '../store/store.js';
import { instanceAtSource, instanceBehindRouter, loadInstanceMetadata } from './load.js';
import { metadataTree, render } from './tree.js';
import { MAX_PASSWORD_BYTES, postPassword } from './password.js';

export const NETWORK_HEADER = 'x-neutron-network-id';
export const ROUTER_HEADER = 'x-neutron-router-id';
export const SOURCE_HEADER = 'x-forwarded-for';

/** sun_path holds 108 bytes with its NUL; a deep KUMO_HOME gets a socket in the temp directory instead. */
const SUN_PATH_MAX = 107;

export function metadataSocketPath(home: string): string {
  const inHome = join(home, 'metadata.sock');
  return Buffer.byteLength(inHome) <= SUN_PATH_MAX ? inHome : join(tmpdir(), `kumo-${homeHash(home)}-metadata.sock`);
}

export interface MetadataServiceOptions {
  readonly db: Db;
  readonly socket: string;
  readonly logger?: Logger;
  /** Randomness for random_seed (tests pin it). */
  readonly random?: (n: number) => Buffer;
}

/** Where a guest posts its password (dated versions from 2013-04-04 on, or latest). */
const PASSWORD_PATH = /^\/openstack\/(latest|20(1[3-9]|[2-9]\d)-\d\d-\d\d)\/password\/?$/;

/** The request body as text, or null past `max` bytes. */
async function readBody(req: IncomingMessage, max: number): Promise<string | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > max) return null;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

const TYPES = { text: 'text/plain; charset=UTF-8', json: 'application/json' } as const;
const MAX_PATH = 1024;

function reply(res: ServerResponse, status: number, body: string | Buffer, type: string, head: boolean, extra: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': type, 'content-length': String(Buffer.byteLength(body)), ...extra });
  res.end(head ? undefined : body);
}

export class MetadataService {
  private constructor(readonly socket: string, private readonly server: Server, private readonly options: MetadataServiceOptions) {}

  static async start(options: MetadataServiceOptions): Promise<MetadataService> {
    try {
      // A socket left by a process that was killed: binding over it would fail.
      if (lstatSync(options.socket).isSocket()) rmSync(options.socket);
    } catch {
      // Nothing there.
    }
    let service: MetadataService | null = null;
    const server = createServer((req, res) => {
      (service as MetadataService).handle(req, res).catch((err: unknown) => {
        options.logger?.error({ err: (err as Error).message }, 'metadata request failed');
        if (!res.headersSent) reply(res, 500, 'Internal Server Error\n', TYPES.text, false);
        else res.destroy();
      });
    });
    server.headersTimeout = 10_000;
    server.requestTimeout = 15_000;
    service = new MetadataService(options.socket, server, options);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.socket, () => {
        server.off('error', reject);
        resolve();
      });
    });
    chmodSync(options.socket, 0o600);
    return service;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const head = req.method === 'HEAD';
    const path = (req.url ?? '/').split('?')[0] as string;
    const posting = req.method === 'POST' && PASSWORD_PATH.test(path);
    if (req.method !== 'GET' && !head && !posting) {
      reply(res, 405, 'Method Not Allowed\n', TYPES.text, false, { allow: PASSWORD_PATH.test(path) ? 'GET, HEAD, POST' : 'GET, HEAD' });
      return;
    }
    const networkId = req.headers[NETWORK_HEADER];
    const routerId = req.headers[ROUTER_HEADER];
    const source = req.headers[SOURCE_HEADER];
    // A proxy sets the source and exactly one of network or router: anything else did not come
    // through a proxy of ours.
    if ((typeof networkId === 'string') === (typeof routerId === 'string') || typeof source !== 'string' || source.includes(',')) {
      reply(res, 400, 'Bad Request\n', TYPES.text, head);
      return;
    }
    const db = this.options.db;
    const uuid = path.length > MAX_PATH ? null
      : typeof networkId === 'string' ? await instanceAtSource(db, networkId.trim(), source.trim())
        : await instanceBehindRouter(db, (routerId as string).trim(), source.trim());
    const md = uuid ? await loadInstanceMetadata(db, uuid) : null;
    if (!md) {
      this.options.logger?.debug({ networkId, routerId, source, path }, 'metadata request from an unknown source');
      reply(res, 404, 'Not Found\n', TYPES.text, head);
      return;
    }
    if (posting) {
      const body = await readBody(req, MAX_PASSWORD_BYTES);
      if (body === null) reply(res, 400, 'Request is too large.\n', TYPES.text, false);
      else if (!(await postPassword(this.options.db, md.uuid, body))) reply(res, 409, 'Password already set.\n', TYPES.text, false);
      else reply(res, 200, '', TYPES.text, false);
      return;
    }
    const out = render(metadataTree(md, { random: this.options.random ?? randomBytes }), path);
    if (out.status === 404) reply(res, 404, 'Not Found\n', TYPES.text, head);
    else reply(res, 200, out.body, TYPES[out.type], head);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
