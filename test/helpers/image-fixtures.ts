/** Helpers for the image tests: create images, upload and download bytes, patch, make a reader. */
import assert from 'node:assert/strict';
import type { TestCloud, TestResponse } from './cloud.js';
import { grant, newUser, tokenFor } from './identity-api.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

export const V2 = '/image/v2';
export const PATCH_21 = 'application/openstack-images-v2.1-json-patch';

export async function createImage(cloud: TestCloud, token: string, body: Record<string, unknown> = {}): Promise<Json> {
  const res = await cloud.request('POST', `${V2}/images`, { token, body: { disk_format: 'raw', container_format: 'bare', ...body } });
  assert.equal(res.status, 201, res.text);
  return res.body;
}

export function patchImage(cloud: TestCloud, token: string, id: string, ops: unknown, contentType = PATCH_21): Promise<TestResponse> {
  return cloud.request('PATCH', `${V2}/images/${id}`, { token, rawBody: JSON.stringify(ops), headers: { 'content-type': contentType } });
}

export function showImage(cloud: TestCloud, token: string, id: string): Promise<TestResponse> {
  return cloud.request('GET', `${V2}/images/${id}`, { token });
}

/** PUT /file with a binary body (the JSON helper cannot send bytes). */
export async function upload(cloud: TestCloud, token: string, id: string, data: Buffer | Uint8Array, headers: Record<string, string> = {}): Promise<{ status: number; text: string }> {
  const res = await fetch(`${cloud.url}${V2}/images/${id}/file`, {
    method: 'PUT', body: new Uint8Array(data), headers: { 'x-auth-token': token, 'content-type': 'application/octet-stream', ...headers },
  });
  return { status: res.status, text: await res.text() };
}

export async function download(cloud: TestCloud, token: string, id: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Headers; data: Buffer }> {
  const res = await fetch(`${cloud.url}${V2}/images/${id}/file`, { headers: { 'x-auth-token': token, ...headers } });
  return { status: res.status, headers: res.headers, data: Buffer.from(await res.arrayBuffer()) };
}

/** A user holding only the reader role on the demo project, and its token. */
export async function readerToken(cloud: TestCloud): Promise<string> {
  const projects = await cloud.request('GET', '/v3/projects?name=demo', { token: await cloud.token('admin') });
  const demoProject = projects.body.projects[0].id as string;
  const user = await newUser(cloud);
  await grant(cloud, 'projects', demoProject, 'users', user.id, 'reader');
  const token = await tokenFor(cloud, user, demoProject);
  assert.ok(token, 'reader token');
  return token;
}

