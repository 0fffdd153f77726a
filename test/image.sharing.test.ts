/** Image members (sharing between projects), their effect on visibility and lists, and tags. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { projectId, startCloudWithTokens, type TestCloud } from './helpers/cloud.js';
import { createImage, showImage, V2 } from './helpers/image-fixtures.js';

describe('image: members and tags', () => {
  let cloud: TestCloud;
  let admin: string;
  let demo: string;
  let demoProject: string;
  let adminProject: string;
  before(async () => {
    ({ cloud, admin, demo } = await startCloudWithTokens());
    demoProject = await projectId(cloud, 'demo');
    adminProject = await projectId(cloud, 'admin');
  });
  after(async () => cloud.destroy());

  const json = { accept: 'application/json' };
  const members = (token: string, id: string) => cloud.request('GET', `${V2}/images/${id}/members`, { token, headers: json });
  const addMember = (token: string, id: string, member: unknown) => cloud.request('POST', `${V2}/images/${id}/members`, { token, body: { member }, headers: json });
  const setStatus = (token: string, id: string, member: string, status: unknown) =>
    cloud.request('PUT', `${V2}/images/${id}/members/${member}`, { token, body: { status }, headers: json });
  const listIds = async (token: string, query = '') => (await cloud.request('GET', `${V2}/images${query}`, { token })).body.images.map((i: { id: string }) => i.id);

  it('shares an image: pending, then accepted into the member\'s list, then removed', async () => {
    const image = await createImage(cloud, admin, { name: 'to-share' });
    assert.equal(image.visibility, 'shared');
    assert.equal((await showImage(cloud, demo, image.id)).status, 404, 'not visible before sharing');
    const added = await addMember(admin, image.id, demoProject);
    assert.equal(added.status, 200, added.text);
    assert.equal(added.body.member_id, demoProject);
    assert.equal(added.body.image_id, image.id);
    assert.equal(added.body.status, 'pending');
    assert.equal(added.body.schema, '/v2/schemas/member');
    assert.equal((await addMember(admin, image.id, demoProject)).status, 409);

    assert.equal((await showImage(cloud, demo, image.id)).status, 200, 'a member may look at a pending image');
    assert.equal((await listIds(demo)).includes(image.id), false, 'but it is not in the default list');
    assert.deepEqual(await listIds(demo, '?visibility=shared&member_status=pending'), [image.id]);

    assert.equal((await setStatus(admin, image.id, demoProject, 'accepted')).status, 200, 'an admin may answer for the member');
    await setStatus(demo, image.id, demoProject, 'pending');
    const accepted = await setStatus(demo, image.id, demoProject, 'accepted');
    assert.equal(accepted.status, 200);
    assert.equal(accepted.body.status, 'accepted');
    assert.ok((await listIds(demo)).includes(image.id));

    await setStatus(demo, image.id, demoProject, 'rejected');
    assert.equal((await listIds(demo)).includes(image.id), false);
    assert.deepEqual(await listIds(demo, '?member_status=rejected&visibility=shared'), [image.id]);

    const own = await members(demo, image.id);
    assert.deepEqual(own.body.members.map((m: { member_id: string }) => m.member_id), [demoProject]);
    assert.equal((await cloud.request('GET', `${V2}/images/${image.id}/members/${demoProject}`, { token: demo })).status, 200);

    assert.equal((await cloud.request('DELETE', `${V2}/images/${image.id}/members/${demoProject}`, { token: demo })).status, 403, 'a member cannot remove itself');
    assert.equal((await cloud.request('DELETE', `${V2}/images/${image.id}/members/${demoProject}`, { token: admin })).status, 204);
    assert.equal((await showImage(cloud, demo, image.id)).status, 404);
    assert.equal((await cloud.request('DELETE', `${V2}/images/${image.id}/members/${demoProject}`, { token: admin })).status, 404);
  });

  it('refuses what Glance refuses on members', async () => {
    const image = await createImage(cloud, demo, { name: 'demo-shared' });
    const added = await addMember(demo, image.id, adminProject);
    assert.equal(added.status, 200);
    const ownerAccepts = await setStatus(demo, image.id, adminProject, 'accepted');
    assert.equal(ownerAccepts.status, 403, 'the owner cannot accept for the member');
    assert.equal((await setStatus(admin, image.id, adminProject, 'maybe')).status, 400);
    assert.equal((await cloud.request('PUT', `${V2}/images/${image.id}/members/${adminProject}`, { token: admin, body: {} })).status, 400);
    assert.equal((await addMember(demo, image.id, '')).status, 400);
    assert.equal((await addMember(demo, image.id, 42)).status, 400);
    assert.equal((await cloud.request('POST', `${V2}/images/${image.id}/members`, { token: demo, body: {} })).status, 400);
    assert.equal((await setStatus(demo, image.id, 'nobody', 'accepted')).status, 404);

    const priv = await createImage(cloud, demo, { name: 'demo-private', visibility: 'private' });
    const refused = await addMember(demo, priv.id, adminProject);
    assert.equal(refused.status, 403);
    assert.equal((await members(demo, priv.id)).status, 403, 'only shared images have members');

    const adminImage = await createImage(cloud, admin, { name: 'admins-public', visibility: 'public' });
    assert.equal((await addMember(demo, adminImage.id, demoProject)).status, 403, 'public images have no members');
    const stillPending = await members(demo, image.id);
    assert.equal(stillPending.body.members[0].status, 'pending', 'refused requests changed nothing');
  });

  it('takes members away when the image stops being shared', async () => {
    const image = await createImage(cloud, admin, { name: 'unshare' });
    await addMember(admin, image.id, demoProject);
    await setStatus(demo, image.id, demoProject, 'accepted');
    assert.ok((await listIds(demo)).includes(image.id));
    const res = await cloud.request('PATCH', `${V2}/images/${image.id}`, {
      token: admin, rawBody: JSON.stringify([{ op: 'replace', path: '/visibility', value: 'private' }]),
      headers: { 'content-type': 'application/openstack-images-v2.1-json-patch' },
    });
    assert.equal(res.status, 200);
    assert.equal((await showImage(cloud, demo, image.id)).status, 404);
  });

  it('adds and removes tags one at a time', async () => {
    const image = await createImage(cloud, demo, { name: 'tagged', tags: ['old'] });
    const put = (tag: string) => cloud.request('PUT', `${V2}/images/${image.id}/tags/${encodeURIComponent(tag)}`, { token: demo });
    assert.equal((await put('new')).status, 204);
    assert.equal((await put('new')).status, 204, 'adding twice is harmless');
    assert.equal((await put('with space')).status, 204);
    assert.deepEqual((await showImage(cloud, demo, image.id)).body.tags, ['new', 'old', 'with space']);
    assert.equal((await put('t'.repeat(256))).status, 400);
    assert.equal((await cloud.request('DELETE', `${V2}/images/${image.id}/tags/old`, { token: demo })).status, 204);
    assert.equal((await cloud.request('DELETE', `${V2}/images/${image.id}/tags/old`, { token: demo })).status, 404);
    assert.deepEqual((await showImage(cloud, demo, image.id)).body.tags, ['new', 'with space']);
    assert.equal((await cloud.request('PUT', `${V2}/images/00000000-0000-4000-8000-000000000000/tags/x`, { token: demo })).status, 404);
    const adminImage = await createImage(cloud, admin, { name: 'admin-tags', visibility: 'public' });
    assert.equal((await cloud.request('PUT', `${V2}/images/${adminImage.id}/tags/x`, { token: demo })).status, 403);
  });
});
