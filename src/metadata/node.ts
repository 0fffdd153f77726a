/**
 * The shape both metadata trees share: directories that list their entries one per line
 * (sub-directories with a trailing slash where the API shows one) and leaves whose body is made
 * only when asked for (a random seed per read, no JSON rendered for a path nobody reads).
 */

export type ContentType = 'text' | 'json';

export interface Leaf {
  readonly kind: 'leaf';
  readonly type: ContentType;
  body(): string | Buffer;
}

export interface Entry {
  readonly name: string;
  /** How the parent's listing shows it, when not by its name (EC2 keys: `0=mykey`). */
  readonly label?: string;
  /** Reachable but not listed (the root lists EC2 versions, not `openstack`). */
  readonly hidden?: boolean;
  readonly node: Node;
}

export interface Dir {
  readonly kind: 'dir';
  readonly entries: readonly Entry[];
  /** Whether the listing marks sub-directories with a trailing slash (EC2 does; version lists do not). */
  readonly slash: boolean;
}

export type Node = Leaf | Dir;

export const leaf = (body: () => string | Buffer, type: ContentType = 'text'): Leaf => ({ kind: 'leaf', type, body });
export const dir = (entries: readonly Entry[], slash = true): Dir => ({ kind: 'dir', entries, slash });

export function listing(d: Dir): string {
  return d.entries.filter((e) => !e.hidden).map((e) => e.label ?? (e.node.kind === 'dir' && d.slash ? `${e.name}/` : e.name)).join('\n');
}

/**
 * Path segments of a request path: empty segments (`//`, a trailing slash) dropped; null for a
 * segment that is `.`, `..` or undecodable, which names nothing in these trees.
 */
export function segments(path: string): string[] | null {
  const out: string[] = [];
  for (const raw of path.split('/')) {
    if (raw === '') continue;
    let s: string;
    try {
      s = decodeURIComponent(raw);
    } catch {
      return null;
    }
    if (s === '.' || s === '..' || s.includes('/') || s.includes('\0')) return null;
    out.push(s);
  }
  return out;
}

/** The node at the path, or null. */
export function walk(root: Node, parts: readonly string[]): Node | null {
  let node: Node = root;
  for (const p of parts) {
    if (node.kind !== 'dir') return null;
    const next: Entry | undefined = node.entries.find((e) => e.name === p);
    if (!next) return null;
    node = next.node;
  }
  return node;
}
