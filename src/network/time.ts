/** Neutron prints standard-attribute times without fractions: 2016-10-04T12:14:57Z. */
export function neutronTime(iso: string): string {
  return `${iso.slice(0, 19)}Z`;
}
