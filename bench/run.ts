/** `npm run bench`: runs every benchmark and prints medians with their same-run baselines. */
import { benchIdentity, printResult } from './identity.js';

const runs = Number(process.env.KUMO_BENCH_RUNS ?? 5);
printResult(`Identity (${runs} start-ups; latency medians over hundreds of calls)`, await benchIdentity(runs));
