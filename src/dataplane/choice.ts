/**
 * KUMO_DATAPLANE's values, kept apart from the drivers so the config module stays light.
 * Unset means `off`: only the user-facing entry points (`npm start`, `bin/kumo`) default it to
 * `auto`, so a program that starts Kumo in a throwaway home and deletes it afterwards (tests,
 * benchmarks) never leaves namespaces and dnsmasq processes behind without asking for them.
 */
export type DataplaneChoice = 'auto' | 'linux' | 'fake' | 'off';

export function parseDataplaneChoice(value: string | undefined): DataplaneChoice {
  const v = (value ?? '').trim() || 'off';
  if (v === 'auto' || v === 'linux' || v === 'fake' || v === 'off') return v;
  throw new Error(`KUMO_DATAPLANE must be auto, linux, fake or off (got ${JSON.stringify(value)})`);
}
