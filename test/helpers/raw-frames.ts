/**
 * Forged Ethernet frames for the spoofing matrix: built here as bytes (IPv4/UDP with any source
 * MAC and address, gratuitous ARP, a DHCP offer), sent and captured with Debian's python3 and an
 * AF_PACKET socket run inside one test namespace (`ip netns exec`: only its network namespace),
 * since Node has no raw sockets. Each frame carries a token the capture looks for.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { run } from '../../src/dataplane/linux/exec.js';

export const PYTHON = '/usr/bin/python3';

export function rawFramesSkip(): string | false {
  return existsSync(PYTHON) ? false : `${PYTHON} missing (the spoofing matrix sends raw frames with it)`;
}

const SEND = `import socket, sys
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((sys.argv[1], 0))
for h in sys.argv[2:]:
    s.send(bytes.fromhex(h))
`;

const CAPTURE = `import socket, sys, time
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
s.bind((sys.argv[1], 0))
s.settimeout(0.05)
end = time.time() + float(sys.argv[2])
tokens = {bytes.fromhex(t): t for t in sys.argv[3:]}
seen = set()
print("ready", flush=True)
while time.time() < end:
    try:
        data = s.recv(65535)
    except socket.timeout:
        continue
    for raw, name in tokens.items():
        if raw in data:
            seen.add(name)
print(" ".join(sorted(seen)))
`;

const macBytes = (mac: string) => Buffer.from(mac.split(':').map((h) => parseInt(h, 16)));
const ipBytes = (ip: string) => Buffer.from(ip.split('.').map(Number));

function checksum(b: Buffer): number {
  let sum = 0;
  for (let i = 0; i < b.length; i += 2) sum += (b[i] as number) << 8 | (b[i + 1] ?? 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

function ethernet(dst: string, src: string, type: number, payload: Buffer): Buffer {
  const h = Buffer.alloc(14);
  macBytes(dst).copy(h, 0);
  macBytes(src).copy(h, 6);
  h.writeUInt16BE(type, 12);
  return Buffer.concat([h, payload]);
}

export interface UdpFrame {
  readonly srcMac: string;
  readonly dstMac: string;
  readonly srcIp: string;
  readonly dstIp: string;
  readonly srcPort: number;
  readonly dstPort: number;
  /** Unique text in the payload, which the capture looks for. */
  readonly token: string;
}

export function udpFrame(f: UdpFrame): Buffer {
  const data = Buffer.from(f.token);
  const udp = Buffer.alloc(8);
  udp.writeUInt16BE(f.srcPort, 0);
  udp.writeUInt16BE(f.dstPort, 2);
  udp.writeUInt16BE(8 + data.length, 4);
  const ip = Buffer.alloc(20);
  ip[0] = 0x45;
  ip.writeUInt16BE(20 + 8 + data.length, 2);
  ip[8] = 64;
  ip[9] = 17;
  ipBytes(f.srcIp).copy(ip, 12);
  ipBytes(f.dstIp).copy(ip, 16);
  ip.writeUInt16BE(checksum(ip), 10);
  return ethernet(f.dstMac, f.srcMac, 0x0800, Buffer.concat([ip, udp, data]));
}

/** A gratuitous ARP request: "ip is at mac", broadcast. Its token is the sender MAC and IP bytes. */
export function gratuitousArp(mac: string, ip: string): { frame: Buffer; token: string } {
  const arp = Buffer.alloc(28);
  arp.writeUInt16BE(1, 0);
  arp.writeUInt16BE(0x0800, 2);
  arp[4] = 6;
  arp[5] = 4;
  arp.writeUInt16BE(1, 6);
  macBytes(mac).copy(arp, 8);
  ipBytes(ip).copy(arp, 14);
  ipBytes(ip).copy(arp, 24);
  return { frame: ethernet('ff:ff:ff:ff:ff:ff', mac, 0x0806, arp), token: Buffer.concat([macBytes(mac), ipBytes(ip)]).toString('hex') };
}

export const tokenHex = (token: string) => Buffer.from(token).toString('hex');

export async function sendFrames(ns: string, dev: string, frames: readonly Buffer[]): Promise<void> {
  await run(['ip', 'netns', 'exec', ns, PYTHON, '-c', SEND, dev, ...frames.map((f) => f.toString('hex'))]);
}

/** Captures on dev for `seconds` while `during` runs (started once the socket is bound); returns the tokens (hex) seen. */
export async function captureWhile(ns: string, dev: string, seconds: number, tokens: readonly string[], during: () => Promise<void>): Promise<Set<string>> {
  const child = spawn('ip', ['netns', 'exec', ns, PYTHON, '-c', CAPTURE, dev, String(seconds), ...tokens], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      if (out.includes('ready\n')) resolve();
    });
    child.once('exit', () => reject(new Error(`capture in ${ns} ended before it was ready: ${out}`)));
  });
  const done = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await ready;
  await during();
  await done;
  return new Set(out.slice(out.indexOf('ready\n') + 6).trim().split(/\s+/).filter(Boolean));
}
