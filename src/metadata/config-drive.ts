/**
 * The config drive's files (Nova's user guide, "Config drives"): the same trees as the metadata
 * service, laid out as `openstack/<version>/...` and `ec2/<version>/meta-data.json` +
 * `user-data`, for the dated EC2 version the drive keeps (2009-04-04) and `latest`. Pure: the
 * compute driver writes them into the directory the guest sees read-only.
 */
import { ec2MetaDataJson } from './ec2.js';
import type { InstanceMetadata } from './instance.js';
import { OPENSTACK_VERSIONS } from './openstack.js';
import { openstackVersionDir, type TreeOptions } from './tree.js';

export interface DriveFile {
  /** Relative, `/`-separated: openstack/latest/meta_data.json */
  readonly path: string;
  readonly body: string | Buffer;
}

/** Versions older than these are left off the drive, as Nova leaves them. */
const EC2_ON_DRIVE = ['2009-04-04', 'latest'];

export function configDriveFiles(md: InstanceMetadata, options: TreeOptions): DriveFile[] {
  const files: DriveFile[] = [];
  for (const v of [...OPENSTACK_VERSIONS, 'latest']) {
    for (const e of openstackVersionDir(md, v, options).entries) {
      // The password item is the service's write-back channel; a read-only drive has none.
      if (e.node.kind === 'leaf' && e.name !== 'password') files.push({ path: `openstack/${v}/${e.name}`, body: e.node.body() });
    }
  }
  for (const v of EC2_ON_DRIVE) {
    files.push({ path: `ec2/${v}/meta-data.json`, body: JSON.stringify(ec2MetaDataJson(md, v)) });
    if (md.userData !== null) files.push({ path: `ec2/${v}/user-data`, body: md.userData });
  }
  return files;
}
