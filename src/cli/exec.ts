/**
 * `kumo exec <server> [-- cmd...]`: a shell or a command inside a running instance, like
 * `lxc exec` (or, with --outside, on the sandboxed outside host). The server is found by id or name in the store; its init is found by the PID,
 * start time and marker recorded in its state.json (never by name), and nsenter joins all its
 * namespaces (network, mount, UTS, PID) with its root and working directory.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { KumoConfig } from '../config/config.js';
import { openStore } from '../store/store.js';
import { alive } from '../compute/driver/linux/init-process.js';
import { InstanceFiles, initMarker } from '../compute/driver/linux/state.js';
import { listNamespaces } from '../dataplane/linux/ip.js';
import { homeHash, outsideNamespace } from '../dataplane/names.js';

const GUEST_ENV = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', HOME: '/root', TERM: process.env.TERM || 'xterm', LC_ALL: 'C' };

async function findServer(config: KumoConfig, ref: string): Promise<string> {
  const store = await openStore({ databaseUrl: config.databaseUrl, sqliteFile: config.sqliteFile });
  try {
    const rows = await store.db.selectFrom('instances').select(['uuid', 'name']).where('deleted', '=', 0)
      .where((eb) => eb.or([eb('uuid', '=', ref), eb('name', '=', ref)])).execute();
    const byId = rows.find((r) => r.uuid === ref);
    if (byId) return byId.uuid;
    if (rows.length > 1) throw new Error(`more than one server is named ${ref}; use its id`);
    if (rows.length === 0) throw new Error(`no server ${ref}`);
    return (rows[0] as { uuid: string }).uuid;
  } finally {
    await store.close();
  }
}

/**
 * `kumo exec --outside [-- cmd...]`: a shell or a command on the sandboxed outside host, the
 * stand-in for a machine beyond the external network (it reaches floating IPs through the
 * upstream router and nothing else).
 */
async function execOutside(config: KumoConfig, rest: readonly string[]): Promise<number> {
  const command = rest[0] === '--' ? rest.slice(1) : rest;
  const ns = outsideNamespace(homeHash(config.home));
  if (!(await listNamespaces()).has(ns)) throw new Error(`no outside host for ${config.home} (is Kumo running with the Linux data plane and an external network?)`);
  return new Promise((resolve, reject) => {
    const child = spawn('ip', ['netns', 'exec', ns, ...(command.length > 0 ? command : ['/bin/sh', '-l'])], { stdio: 'inherit', env: { ...process.env, PS1: 'outside$ ' } });
    child.once('error', reject);
    child.once('close', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
}

export async function execInServer(config: KumoConfig, args: readonly string[]): Promise<number> {
  const [ref, ...rest] = args;
  if (ref === '--outside') return execOutside(config, rest);
  if (!ref) throw new Error('usage: kumo exec <server>|--outside [-- cmd...]');
  const command = rest[0] === '--' ? rest.slice(1) : rest;
  const uuid = await findServer(config, ref);
  const state = new InstanceFiles(config.home).read(uuid);
  if (!state) throw new Error(`server ${ref} has no instance on this host (not the linux compute driver?)`);
  if (!state.init || !alive(state.init, initMarker(uuid))) throw new Error(`server ${ref} is not running`);
  const argv = ['nsenter', '-t', String(state.init.pid), '-n', '-m', '-u', '-p', '-r', '-w', '--', ...(command.length > 0 ? command : ['/bin/sh', '-l'])];
  // Into the instance's cgroup first, as `lxc exec` does: pausing the server pauses this too.
  const group = state.cgroup && existsSync(join(state.cgroup, 'cgroup.procs')) ? join(state.cgroup, 'cgroup.procs') : null;
  const full = group ? ['/bin/sh', '-c', 'echo $$ > "$0" && exec "$@"', group, ...argv] : argv;
  return new Promise((resolve, reject) => {
    const child = spawn(full[0] as string, full.slice(1), { stdio: 'inherit', env: { ...GUEST_ENV, PATH: `${GUEST_ENV.PATH}` } });
    child.once('error', reject);
    child.once('close', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
}
