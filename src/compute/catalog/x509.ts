/**
 * x509 key pairs (microversion 2.2): a self-signed client certificate for CN=<user id> with the
 * UPN <user>@localhost, as Nova makes for WinRM, and the certificate's SHA-1 fingerprint in
 * colon hex. Node can read certificates but not write them, so the DER is assembled here.
 */
import { X509Certificate, createHash, generateKeyPair, randomBytes, sign, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { colonHex, invalidKeypair, type GeneratedKeypair } from './ssh-keys.js';

const generateKeyPairAsync = promisify(generateKeyPair);

function length(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

function tlv(tag: number, ...content: Buffer[]): Buffer {
  const body = Buffer.concat(content);
  return Buffer.concat([Buffer.from([tag]), length(body.length), body]);
}

const seq = (...c: Buffer[]) => tlv(0x30, ...c);
const set = (...c: Buffer[]) => tlv(0x31, ...c);
const octets = (b: Buffer) => tlv(0x04, b);
const utf8 = (s: string) => tlv(0x0c, Buffer.from(s, 'utf8'));
const explicit = (n: number, ...c: Buffer[]) => tlv(0xa0 + n, ...c);
const NULL = Buffer.from([0x05, 0x00]);

function oid(dotted: string): Buffer {
  const parts = dotted.split('.').map(Number);
  const out = [40 * (parts[0] as number) + (parts[1] as number)];
  for (const part of parts.slice(2)) {
    const chunk = [part & 0x7f];
    for (let v = Math.floor(part / 128); v > 0; v = Math.floor(v / 128)) chunk.unshift(0x80 | (v & 0x7f));
    out.push(...chunk);
  }
  return tlv(0x06, Buffer.from(out));
}

function integer(unsigned: Buffer): Buffer {
  return tlv(0x02, (unsigned[0] as number) & 0x80 ? Buffer.concat([Buffer.from([0]), unsigned]) : unsigned);
}

function utcTime(date: Date): Buffer {
  const iso = date.toISOString();
  const text = `${iso.slice(2, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`;
  return tlv(0x17, Buffer.from(text, 'latin1'));
}

const SHA256_WITH_RSA = seq(oid('1.2.840.113549.1.1.11'), NULL);

function certificate(publicKey: KeyObject, privateKey: KeyObject, userId: string): Buffer {
  const name = seq(set(seq(oid('2.5.4.3'), utf8(userId))));
  const now = new Date();
  const notAfter = new Date(now.getTime() + 3650 * 86_400_000);
  const serial = randomBytes(16);
  serial[0] = (serial[0] as number) & 0x7f;
  const extensions = seq(
    // extendedKeyUsage: clientAuth
    seq(oid('2.5.29.37'), octets(seq(oid('1.3.6.1.5.5.7.3.2')))),
    // subjectAltName: otherName UPN user@localhost
    seq(oid('2.5.29.17'), octets(seq(explicit(0, oid('1.3.6.1.4.1.311.20.2.3'), explicit(0, utf8(`${userId}@localhost`)))))),
  );
  const tbs = seq(
    explicit(0, integer(Buffer.from([2]))),
    integer(serial),
    SHA256_WITH_RSA,
    name,
    seq(utcTime(now), utcTime(notAfter)),
    name,
    publicKey.export({ type: 'spki', format: 'der' }),
    explicit(3, extensions),
  );
  const signature = sign('sha256', tbs, privateKey);
  return seq(tbs, SHA256_WITH_RSA, tlv(0x03, Buffer.from([0]), signature));
}

function pem(der: Buffer): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----\n`;
}

/** Nova's x509 fingerprint: SHA-1 of the certificate in colon hex, or a 400 when it is not one. */
export function x509Fingerprint(certificatePem: string): string {
  try {
    const cert = new X509Certificate(certificatePem);
    return colonHex(createHash('sha1').update(cert.raw).digest());
  } catch (err) {
    throw invalidKeypair(`failed to generate X509 fingerprint. Error message: ${(err as Error).message}`);
  }
}

/** A new certificate (as the public key) and its RSA private key (PKCS#8 PEM). */
export async function generateX509Keypair(userId: string): Promise<GeneratedKeypair> {
  const { publicKey, privateKey } = await generateKeyPairAsync('rsa', { modulusLength: 2048, publicExponent: 65537 });
  const certPem = pem(certificate(publicKey, privateKey, userId));
  return {
    privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
    publicKey: certPem,
    fingerprint: x509Fingerprint(certPem),
  };
}
