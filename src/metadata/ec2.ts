/**
 * The EC2-compatible tree of one instance (Nova's user guide, "EC2-compatible metadata",
 * compatible with EC2's 2009-04-04): meta-data/ with one entry per item, public-keys/ listed as
 * `0=<key name>`, and user-data. Older dated versions show the items that existed then.
 */
import { dir, leaf, type Dir, type Entry } from './node.js';
import type { InstanceMetadata } from './instance.js';
import { fqdn } from './openstack.js';

export const EC2_VERSIONS = ['1.0', '2007-01-19', '2007-03-01', '2007-08-29', '2007-10-10', '2007-12-15', '2008-02-01', '2008-09-01', '2009-04-04'] as const;

/** EC2-style ids from Nova-side numbers: i-%08x from the instance id, ami-%08x from the image id's first 32 bits. */
export const ec2InstanceId = (id: number): string => `i-${id.toString(16).padStart(8, '0')}`;
export function ec2ImageId(imageId: string): string {
  const hex = imageId.replace(/-/g, '').slice(0, 8);
  return `ami-${(/^[0-9a-f]{8}$/i.test(hex) ? hex.toLowerCase() : '00000000')}`;
}

/** The first fixed IPv4 address of the first NIC that has one. */
function localIpv4(md: InstanceMetadata): string {
  for (const nic of md.interfaces) for (const a of nic.fixedIps) if (!a.ip.includes(':')) return a.ip;
  return '';
}

function publicIpv4(md: InstanceMetadata): string {
  for (const nic of md.interfaces) for (const f of nic.floatingIps) if (!f.includes(':')) return f;
  return '';
}

function metaDataDir(md: InstanceMetadata, version: string): Dir {
  const since = (first: string) => version >= first || version === 'latest';
  const text = (name: string, value: string | number): Entry => ({ name, node: leaf(() => String(value)) });
  const host = fqdn(md);
  const entries: Entry[] = [
    text('ami-id', ec2ImageId(md.imageId)),
    text('ami-launch-index', md.launchIndex),
    text('ami-manifest-path', 'FIXME'),
    text('hostname', host),
    text('instance-id', ec2InstanceId(md.id)),
    text('local-ipv4', localIpv4(md)),
    text('reservation-id', md.reservationId),
    { name: 'security-groups', node: leaf(() => md.securityGroups.join('\n')) },
  ];
  if (md.key) {
    const key = md.key;
    entries.push({
      name: 'public-keys',
      // EC2 lists a key as "<index>=<name>"; its directory holds the OpenSSH text.
      node: dir([{ name: '0', label: `0=${key.name}`, node: dir([{ name: 'openssh-key', node: leaf(() => key.data) }]) }]),
    });
  }
  if (since('2007-01-19')) entries.push(text('local-hostname', host), text('public-hostname', host), text('public-ipv4', publicIpv4(md)));
  if (since('2007-08-29')) entries.push(text('instance-type', md.flavorName));
  if (since('2007-12-15')) entries.push({ name: 'block-device-mapping', node: dir([text('ami', 'vda'), text('root', '/dev/vda')]) });
  if (since('2008-02-01')) entries.push({ name: 'placement', node: dir([text('availability-zone', md.availabilityZone)]) });
  if (since('2008-09-01')) entries.push(text('instance-action', 'none'));
  return dir(entries.sort((a, b) => a.name.localeCompare(b.name)));
}

/** One dated version: meta-data/ and, when the server has user data, user-data. */
export function ec2VersionDir(md: InstanceMetadata, version: string): Dir {
  const entries: Entry[] = [{ name: 'meta-data', node: metaDataDir(md, version) }];
  const userData = md.userData;
  if (userData !== null) entries.push({ name: 'user-data', node: leaf(() => userData) });
  return dir(entries);
}

/** The flat JSON form of meta-data the config drive keeps in ec2/<version>/meta-data.json. */
export function ec2MetaDataJson(md: InstanceMetadata, version: string): Record<string, unknown> {
  const toJson = (d: Dir): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    for (const e of d.entries) {
      if (e.node.kind === 'dir') {
        out[e.name] = toJson(e.node);
      } else {
        const body = e.node.body();
        const text = typeof body === 'string' ? body : body.toString('utf8');
        out[e.name] = e.name === 'security-groups' ? md.securityGroups : e.name === 'ami-launch-index' ? md.launchIndex : text;
      }
    }
    return out;
  };
  return toJson(metaDataDir(md, version));
}
