#!/usr/bin/env node
/** The `kumo` command: `kumo start` (what `npm start` runs) and the user tools. */
import { loadConfig } from '../config/config.js';
import { startCloud } from '../server/cloud.js';

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

async function main(argv: string[]): Promise<void> {
  const [command = 'start'] = argv;
  switch (command) {
    case 'start':
      return start();
    case 'help':
    case '--help':
      process.stdout.write('usage: kumo [start]\n');
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
