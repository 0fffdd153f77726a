/** A small keep-alive JSON client for the benchmarks: node:http costs the client far less CPU than fetch on a 2-core machine shared with the server. */
import { Agent, request } from 'node:http';

export interface Reply {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly text: string;
}

export class HttpError extends Error {
  constructor(readonly method: string, readonly path: string, readonly status: number, body: string) {
    super(`${method} ${path} -> ${status}: ${body.slice(0, 300)}`);
  }
}

/** One client per cloud; every call reuses pooled connections, as a real SDK session does. */
export class Client {
  // Enough sockets for the 8-client load tests plus their baseline, so nobody queues client-side.
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 32 });
  token = '';

  constructor(readonly base: string) {}

  raw(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Reply> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const h: Record<string, string> = { accept: 'application/json', ...headers };
    if (this.token && !('x-auth-token' in h)) h['x-auth-token'] = this.token;
    if (payload !== undefined) {
      h['content-type'] = 'application/json';
      h['content-length'] = String(Buffer.byteLength(payload));
    }
    return new Promise((resolve, reject) => {
      const req = request(`${this.base}${path}`, { method, headers: h, agent: this.agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(payload);
    });
  }

  /** JSON call that must answer 2xx (or one of `expect`); returns the parsed body. */
  async call<T = Record<string, unknown>>(method: string, path: string, body?: unknown, expect?: readonly number[]): Promise<T> {
    const r = await this.raw(method, path, body);
    const ok = expect ? expect.includes(r.status) : r.status >= 200 && r.status < 300;
    if (!ok) throw new HttpError(method, path, r.status, r.text);
    return (r.text ? JSON.parse(r.text) : {}) as T;
  }

  close(): void {
    this.agent.destroy();
  }
}
