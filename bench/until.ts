/** Polling for the benches: wait until a condition holds, or fail saying what never happened. */

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Calls fn every `everyMs` until it returns something truthy, and returns that; throws after `timeoutMs`. */
export async function until<T>(what: string, fn: () => Promise<T | false | null | undefined> | T | false | null | undefined, timeoutMs = 60_000, everyMs = 5): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`bench: timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}
