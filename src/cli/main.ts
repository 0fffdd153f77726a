#!/usr/bin/env node
/** The `kumo` command: `kumo start` (what `npm start` runs) and the user tools. */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../config/config.js';
import { startCloud } from '../server/cloud.js';
import { LinuxDataplane } from '../dataplane/drivers/linux/driver.js';
import { processArgv } from '../dataplane/linux/proc.js';
import { execInServer } from './exec.js';
import { traceCommand } from './trace.js';

function banner(cloud: Awaited<ReturnType<typeof startCloud>>, ms: number): string {
  const rel = (p: string) => p;
  return [
    '',
    `  Kumo is up in ${(ms / 1000).toFixed(2)} s  —  ${cloud.url}`,
    '',
    `  Auth URL        ${cloud.authUrl}`,
    `  Admin creds     source ${rel(cloud.rcFiles.adminRc)}`,
    `  Demo creds      source ${rel(cloud.rcFiles.demoRc)}`,
    `  clouds.yaml     ${rel(cloud.rcFiles.cloudsYaml)}  (clouds kumo-admin, kumo-demo)`,
    `  State           ${cloud.config.databaseUrl ? 'PostgreSQL' : cloud.config.sqliteFile}`,
    `  Data plane      ${cloud.dataplane}`,
    '',
    '  Try:',
    `    source ${rel(cloud.rcFiles.adminRc)}`,
    '    openstack token issue',
    '    openstack project list',
    '    openstack catalog list',
    '',
    '  Ctrl-C stops the cloud; `npm start` again resumes it with all its state.',
    '',
  ].join('\n');
}

async function start(): Promise<void> {
  const started = performance.now();
  const config = loadConfig();
  const cloud = await startCloud(config);
  process.stdout.write(banner(cloud, performance.now() - started));
  // `kumo down` refuses while this cloud runs: its agent would rebuild what down removes.
  const pidFile = join(config.home, 'kumo.pid');
  writeFileSync(pidFile, `${process.pid}\n`);
  process.on('exit', () => rmSync(pidFile, { force: true }));
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`\n  ${signal}: stopping Kumo...\n`);
    cloud.stop().then(() => process.exit(0), (err: unknown) => {
      console.error(err);
      process.exit(1);
    });
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

/** The pid of a running `kumo start` for this home, or null. */
function runningCloud(home: string): number | null {
  try {
    const pid = Number(readFileSync(join(home, 'kumo.pid'), 'utf8').trim());
    const argv = Number.isInteger(pid) && pid !== process.pid ? processArgv(pid) : null;
    return argv && argv.includes('start') ? pid : null;
  } catch {
    return null;
  }
}

/** `kumo down`: removes every kernel object and process recorded for this KUMO_HOME, and nothing else. */
async function down(): Promise<void> {
  const config = loadConfig();
  const running = runningCloud(config.home);
  if (running !== null) {
    process.stderr.write(`kumo down: Kumo is running for ${config.home} (pid ${running}); stop it first (Ctrl-C), then run kumo down.\n`);
    process.exit(1);
  }
  const driver = new LinuxDataplane(config.home);
  const recorded = driver.record.namespaces().length + driver.record.processes().length + driver.record.cgroups().length;
  if (recorded > 0 && typeof process.getuid === 'function' && process.getuid() !== 0) {
    process.stderr.write(`kumo down: ${recorded} recorded data-plane objects in ${config.home}; removing them needs root.\n`);
    process.exit(1);
  }
  const report = await driver.teardown();
  process.stdout.write(`kumo down: removed ${report.namespaces.length} namespaces and ${report.processes.length} processes recorded in ${config.home}\n`);
  for (const ns of report.namespaces) process.stdout.write(`  netns ${ns}\n`);
  for (const link of report.rootLinks ?? []) process.stdout.write(`  link ${link} (host access, root namespace)\n`);
}

async function main(argv: string[]): Promise<void> {
  const [command = 'start'] = argv;
  switch (command) {
    case 'start':
      return start();
    case 'down':
      return down();
    case 'exec':
      process.exitCode = await execInServer(loadConfig(), argv.slice(1));
      return;
    case 'trace':
      // 0 reachable, 1 dropped, 2 the question itself is wrong (unknown server, bad address).
      process.exitCode = await traceCommand(loadConfig(), argv.slice(1), undefined, (t) => process.stdout.write(t)).catch((err: unknown) => {
        process.stderr.write(`kumo trace: ${err instanceof Error ? err.message : String(err)}\n`);
        return 2;
      });
      return;
    case 'help':
    case '--help':
      process.stdout.write('usage: kumo [start|down|exec <server> [-- cmd...]|exec --outside [-- cmd...]|trace <server> <address> [proto/port]]\n');
      return;
    default:
      process.stderr.write(`kumo: unknown command '${command}' (try: kumo help)\n`);
      process.exit(2);
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  console.error('kumo:', err instanceof Error ? err.message : err);
  if (err instanceof Error && err.cause) console.error('cause:', err.cause);
  process.exit(1);
});
