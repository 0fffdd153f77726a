/**
 * SSH key pairs as Nova handles them: generated RSA pairs (the private key as PKCS#1 PEM, the
 * form `ssh-keygen -y` and paramiko read; the public key as `ssh-rsa <base64> Generated-by-Nova`),
 * imported OpenSSH public keys checked to be real keys of a known type, and Nova's fingerprint:
 * the MD5 of the key blob in colon-separated hex.
 */
import { createHash, createPublicKey, generateKeyPair, type JsonWebKey } from 'node:crypto';
import { promisify } from 'node:util';
import { badRequest } from '../../api/errors.js';

const generateKeyPairAsync = promisify(generateKeyPair);

export const invalidKeypair = (reason: string) => badRequest(`Keypair data is invalid: ${reason}`);

/** Reads the SSH wire format: uint32-length-prefixed strings. */
class WireReader {
  private offset = 0;
  constructor(private readonly data: Buffer) {}

  string(): Buffer {
    if (this.offset + 4 > this.data.length) throw new Error('truncated');
    const length = this.data.readUInt32BE(this.offset);
    this.offset += 4;
    if (this.offset + length > this.data.length) throw new Error('truncated');
    const out = this.data.subarray(this.offset, this.offset + length);
    this.offset += length;
    return out;
  }

  done(): boolean {
    return this.offset === this.data.length;
  }
}

function wireString(data: Buffer | string): Buffer {
  const bytes = typeof data === 'string' ? Buffer.from(data) : data;
  const length = Buffer.alloc(4);
  length.writeUInt32BE(bytes.length);
  return Buffer.concat([length, bytes]);
}

/** An unsigned big-endian integer as an SSH mpint (a leading zero when the top bit is set). */
function mpint(unsigned: Buffer): Buffer {
  let i = 0;
  while (i < unsigned.length - 1 && unsigned[i] === 0) i++;
  const trimmed = unsigned.subarray(i);
  return wireString((trimmed[0] ?? 0) & 0x80 ? Buffer.concat([Buffer.from([0]), trimmed]) : trimmed);
}

/** An SSH mpint's magnitude without sign padding (JWK wants the bare unsigned bytes). */
function unsignedOf(value: Buffer): Buffer {
  if (value.length > 0 && (value[0] as number) & 0x80) throw new Error('negative integer');
  let i = 0;
  while (i < value.length - 1 && value[i] === 0) i++;
  return value.subarray(i);
}

const CURVES: Record<string, { crv: string; size: number }> = {
  nistp256: { crv: 'P-256', size: 32 },
  nistp384: { crv: 'P-384', size: 48 },
  nistp521: { crv: 'P-521', size: 66 },
};

/** Checks the key blob is a well-formed key of the type it names; throws if not. */
function checkBlob(type: string, blob: Buffer): void {
  const r = new WireReader(blob);
  const inner = r.string().toString('latin1');
  if (inner !== type) throw new Error('key type mismatch');
  let jwk: JsonWebKey;
  if (type === 'ssh-rsa') {
    const e = unsignedOf(r.string());
    const n = unsignedOf(r.string());
    if (n.length < 64) throw new Error('RSA key too small');
    jwk = { kty: 'RSA', n: n.toString('base64url'), e: e.toString('base64url') };
  } else if (type === 'ssh-ed25519' || type === 'sk-ssh-ed25519@openssh.com') {
    const key = r.string();
    if (key.length !== 32) throw new Error('bad Ed25519 key');
    jwk = { kty: 'OKP', crv: 'Ed25519', x: key.toString('base64url') };
    if (type.startsWith('sk-')) r.string();
  } else if (type.startsWith('ecdsa-sha2-') || type === 'sk-ecdsa-sha2-nistp256@openssh.com') {
    const curveName = r.string().toString('latin1');
    const curve = CURVES[curveName];
    if (!curve || (!type.startsWith('sk-') && type !== `ecdsa-sha2-${curveName}`)) throw new Error('bad curve');
    const point = r.string();
    if (point.length !== 1 + 2 * curve.size || point[0] !== 4) throw new Error('bad point');
    jwk = { kty: 'EC', crv: curve.crv, x: point.subarray(1, 1 + curve.size).toString('base64url'), y: point.subarray(1 + curve.size).toString('base64url') };
    if (type.startsWith('sk-')) r.string();
  } else if (type === 'ssh-dss') {
    for (let i = 0; i < 4; i++) if (unsignedOf(r.string()).length === 0) throw new Error('bad DSA key');
    if (!r.done()) throw new Error('trailing data');
    return;
  } else {
    throw new Error(`unsupported key type ${type}`);
  }
  if (!r.done()) throw new Error('trailing data');
  // Let OpenSSL judge the numbers (a point on the curve, a usable RSA key).
  createPublicKey({ key: jwk, format: 'jwk' });
}

/** Nova's fingerprint of an OpenSSH public key line, or a 400 when it is not one. */
export function sshFingerprint(publicKey: string): string {
  try {
    const parts = publicKey.split(' ');
    const type = parts[0] ?? '';
    const text = parts[1] ?? '';
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text) || text.length % 4 !== 0) throw new Error('not base64');
    const blob = Buffer.from(text, 'base64');
    checkBlob(type, blob);
    return colonHex(createHash('md5').update(blob).digest());
  } catch {
    throw invalidKeypair('failed to generate fingerprint');
  }
}

export function colonHex(digest: Buffer): string {
  return [...digest].map((b) => b.toString(16).padStart(2, '0')).join(':');
}

export interface GeneratedKeypair {
  readonly privateKey: string;
  readonly publicKey: string;
  readonly fingerprint: string;
}

/** A new 2048-bit RSA pair, generated off the event loop. */
export async function generateSshKeypair(): Promise<GeneratedKeypair> {
  const { publicKey, privateKey } = await generateKeyPairAsync('rsa', { modulusLength: 2048, publicExponent: 65537 });
  const jwk = publicKey.export({ format: 'jwk' });
  const blob = Buffer.concat([
    wireString('ssh-rsa'),
    mpint(Buffer.from(jwk.e as string, 'base64url')),
    mpint(Buffer.from(jwk.n as string, 'base64url')),
  ]);
  const line = `ssh-rsa ${blob.toString('base64')} Generated-by-Nova`;
  return {
    privateKey: privateKey.export({ type: 'pkcs1', format: 'pem' }) as string,
    publicKey: line,
    fingerprint: colonHex(createHash('md5').update(blob).digest()),
  };
}
