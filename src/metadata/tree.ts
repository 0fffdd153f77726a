/**
 * One instance's whole metadata tree, as 169.254.169.254 serves it (Nova's user guide): the
 * EC2-compatible versions at the root (`/latest/meta-data/...`, `/latest/user-data`) and the
 * OpenStack versions under `/openstack` (`/openstack/latest/meta_data.json`, `user_data`,
 * `network_data.json`, `vendor_data.json`, `vendor_data2.json`). Pure: the caller supplies the
 * randomness for meta_data.json's random_seed. The config drive is written from the same tree.
 */
import { EC2_VERSIONS, ec2VersionDir } from './ec2.js';
import type { InstanceMetadata } from './instance.js';
import { dir, leaf, listing, segments, walk, type ContentType, type Dir, type Entry } from './node.js';
import { metaData, networkData, OPENSTACK_VERSIONS, type MetaDataExtras } from './openstack.js';

export interface TreeOptions extends MetaDataExtras {
  /** Bytes for random_seed (512 of them per read, as Nova gives). */
  readonly random: (n: number) => Buffer;
}

const json = (value: () => unknown) => leaf(() => JSON.stringify(value()), 'json');

export function openstackVersionDir(md: InstanceMetadata, version: string, options: TreeOptions): Dir {
  const v = version === 'latest' ? (OPENSTACK_VERSIONS.at(-1) as string) : version;
  const entries: Entry[] = [{ name: 'meta_data.json', node: json(() => metaData(md, v, () => options.random(512), options)) }];
  const userData = md.userData;
  if (userData !== null) entries.push({ name: 'user_data', node: leaf(() => userData) });
  // No password was ever posted by a Kumo guest: the password item reads empty, as in Nova.
  if (v >= '2013-04-04') entries.push({ name: 'password', node: leaf(() => '') });
  if (v >= '2013-10-17') entries.push({ name: 'vendor_data.json', node: json(() => ({})) });
  if (v >= '2015-10-15') entries.push({ name: 'network_data.json', node: json(() => networkData(md)) });
  if (v >= '2016-10-06') entries.push({ name: 'vendor_data2.json', node: json(() => ({})) });
  return dir(entries);
}

export function metadataTree(md: InstanceMetadata, options: TreeOptions): Dir {
  const openstack = dir([...OPENSTACK_VERSIONS, 'latest'].map((v) => ({ name: v, node: openstackVersionDir(md, v, options) })), false);
  const ec2 = [...EC2_VERSIONS, 'latest'].map((v) => ({ name: v, node: ec2VersionDir(md, v) }));
  return dir([...ec2, { name: 'openstack', hidden: true, node: openstack }], false);
}

export type Rendered =
  | { readonly status: 200; readonly type: ContentType; readonly body: string | Buffer }
  | { readonly status: 404 };

/** What a GET of the path returns: a directory's listing, a leaf's body, or 404. */
export function render(tree: Dir, path: string): Rendered {
  const parts = segments(path);
  const node = parts === null ? null : walk(tree, parts);
  if (!node) return { status: 404 };
  if (node.kind === 'dir') return { status: 200, type: 'text', body: listing(node) };
  return { status: 200, type: node.type, body: node.body() };
}
