/** Image lists: who sees what, filters, sorting, pagination with markers, and refused parameters. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { projectId, startCloudWithTokens, type TestCloud } from './helpers/cloud.js';
import { createImage, upload, V2 } from './helpers/image-fixtures.js';

describe('image: listing', () => {
  let cloud: TestCloud;
  let admin: string;
  let demo: string;
  const ids: Record<string, string> = {};
  before(async () => {
    ({ cloud, admin, demo } = await startCloudWithTokens());
    // Created one after the other, so created_at orders them a, b, c, d, e.
    const specs: [string, string, Record<string, unknown>, number][] = [
      ['a', demo, { visibility: 'private', tags: ['red', 'big'], color: 'red', disk_format: 'qcow2' }, 3000],
      ['b', demo, { visibility: 'private', tags: ['red'], color: 'blue' }, 1000],
      ['c', demo, { visibility: 'community', os_hidden: true }, 2000],
      ['d', admin, { visibility: 'public', protected: true }, 0],
      ['e', admin, { visibility: 'community' }, 0],
      ['f', admin, { visibility: 'private' }, 0],
    ];
    for (const [name, token, body, size] of specs) {
      const image = await createImage(cloud, token, { name: `list-${name}`, ...body });
      ids[name] = image.id;
      if (size) await upload(cloud, token, image.id, Buffer.alloc(size));
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  });
  after(async () => cloud.destroy());

  async function list(token: string, query = ''): Promise<{ status: number; names: string[]; body: Record<string, unknown> }> {
    const res = await cloud.request('GET', `${V2}/images${query}`, { token, headers: { accept: 'application/json' } });
    const names = res.status === 200 ? (res.body.images as { name: string }[]).map((i) => i.name).filter((n) => n?.startsWith('list-')).map((n) => n.slice(5)) : [];
    return { status: res.status, names, body: res.body };
  }

  it('shows a member its own, public and (only when asked) community images, newest first', async () => {
    assert.deepEqual((await list(demo)).names, ['d', 'b', 'a'], 'hidden c is left out; e is community; f is private');
    assert.deepEqual((await list(demo, '?visibility=community')).names, ['e'], 'hidden images stay hidden');
    assert.deepEqual((await list(demo, '?visibility=community&os_hidden=true')).names, ['c']);
    assert.deepEqual((await list(demo, '?visibility=private')).names, ['b', 'a']);
    assert.deepEqual((await list(demo, '?visibility=all')).names, ['e', 'd', 'b', 'a']);
  });

  it('shows an admin everything but other projects\' community images', async () => {
    assert.deepEqual((await list(admin)).names, ['f', 'e', 'd', 'b', 'a']);
    assert.deepEqual((await list(admin, '?visibility=community')).names, ['e']);
  });

  it('filters by attributes, operators, ranges, tags and custom properties', async () => {
    assert.deepEqual((await list(demo, '?tag=red')).names, ['b', 'a']);
    assert.deepEqual((await list(demo, '?tag=red&tag=big')).names, ['a']);
    assert.deepEqual((await list(demo, '?color=blue')).names, ['b']);
    assert.deepEqual((await list(demo, '?disk_format=qcow2')).names, ['a']);
    assert.deepEqual((await list(demo, '?name=list-b')).names, ['b']);
    assert.deepEqual((await list(demo, `?name=in:list-a,"list-d"`)).names, ['d', 'a']);
    assert.deepEqual((await list(demo, `?id=in:${ids.a},${ids.b}`)).names, ['b', 'a']);
    assert.deepEqual((await list(demo, '?status=queued')).names, ['d']);
    assert.deepEqual((await list(demo, '?size_min=1500')).names, ['a']);
    assert.deepEqual((await list(demo, '?size_min=500&size_max=1500')).names, ['b']);
    assert.deepEqual((await list(demo, '?size=1000')).names, ['b']);
    assert.deepEqual((await list(demo, '?protected=true')).names, ['d']);
    assert.deepEqual((await list(demo, `?owner=${await projectId(cloud, 'demo')}`)).names, ['b', 'a']);
    assert.deepEqual((await list(demo, '?created_at=gt:2000-01-01T00:00:00Z')).names, ['d', 'b', 'a']);
    assert.deepEqual((await list(demo, '?created_at=lt:2000-01-01T00:00:00Z')).names, []);
  });

  it('sorts with sort=key:dir and with sort_key/sort_dir', async () => {
    assert.deepEqual((await list(demo, '?sort=name:asc')).names, ['a', 'b', 'd']);
    assert.deepEqual((await list(demo, '?sort=size:desc')).names, ['a', 'b', 'd'], 'no size sorts lowest');
    assert.deepEqual((await list(demo, '?sort_key=size&sort_dir=asc')).names, ['d', 'b', 'a']);
    assert.deepEqual((await list(demo, '?sort_key=created_at&sort_dir=asc')).names, ['a', 'b', 'd']);
  });

  it('pages with limit and marker, with first and next links', async () => {
    const first = await list(admin, '?limit=2&sort=name:desc&visibility=all');
    assert.deepEqual(first.names, ['f', 'e']);
    assert.equal(first.body.first, '/v2/images?limit=2&sort=name%3Adesc&visibility=all');
    assert.equal(first.body.schema, '/v2/schemas/images');
    const next = first.body.next as string;
    assert.equal(next, `/v2/images?limit=2&sort=name%3Adesc&visibility=all&marker=${ids.e}`);
    const second = await list(admin, next.replace('/v2/images', ''));
    assert.deepEqual(second.names, ['d', 'b'], 'the next page starts after the marker (hidden c left out)');
    const whole = await list(admin, '?limit=1000');
    assert.equal(whole.body.next, undefined, 'no next link on a short page');
    assert.equal((await list(admin, '?limit=0')).names.length, 0);
  });

  it('refuses bad parameters with 400', async () => {
    for (const query of ['?limit=x', '?limit=-1', '?marker=00000000-0000-4000-8000-000000000000', `?marker=${ids.f}`,
      '?sort_key=owner', '?sort_dir=up', '?sort=name:up', '?sort=name&sort_key=id', '?sort_key=name&sort_key=id&sort_dir=asc&sort_dir=desc&sort_dir=asc',
      '?visibility=everyone', '?member_status=maybe', '?os_hidden=maybe', '?protected=1', '?size_min=big', '?created_at=gt:yesterday',
      '?created_at=around:2020-01-01T00:00:00Z', '?name=like:foo', '?changes-since=2020-01-01']) {
      const res = await list(demo, query);
      assert.equal(res.status, 400, query);
    }
  });

  it('does not mistake GET /v2/images/ for the list', async () => {
    assert.equal((await cloud.request('GET', `${V2}/images/`, { token: demo })).status, 404);
  });
});
