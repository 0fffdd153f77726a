/** KUMO_DATAPLANE's values, kept apart from the drivers so the config module stays light. */
export type DataplaneChoice = 'auto' | 'linux' | 'fake' | 'off';

export function parseDataplaneChoice(value: string | undefined): DataplaneChoice {
  const v = (value ?? '').trim() || 'auto';
  if (v === 'auto' || v === 'linux' || v === 'fake' || v === 'off') return v;
  throw new Error(`KUMO_DATAPLANE must be auto, linux, fake or off (got ${JSON.stringify(value)})`);
}
