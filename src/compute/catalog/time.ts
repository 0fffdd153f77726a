/** Nova prints its timestamps without a zone and with microseconds: 2012-10-29T13:42:02.000000. */
export function novaTime(value: string | number): string {
  const iso = new Date(value).toISOString();
  return `${iso.slice(0, 19)}.${iso.slice(20, 23)}000`;
}
