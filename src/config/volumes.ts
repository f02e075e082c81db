/**
 * Schemas for volumes (container and command `volumes:`), vagga-inventory.md §1.5.
 * Keys are absolute mount points inside the container; values are one of nine tags.
 */
import type { Volume } from './model.js';
import { isNull, type Pos, type QNode } from './qnode.js';
import {
  custom, def, fail, int, map, opt, str, struct, tagged, type ParseCtx, type Schema,
} from './schema.js';
import { cacheName, containerPath, containerPathProblem, persistentName } from './container-path.js';

const MiB = 1024 * 1024;

/** A value that must be absent or null, e.g. `!Empty`. */
function nothing(tag: string): Schema<null> {
  return custom(`nothing (!${tag} takes no value)`, (node: QNode, ctx: ParseCtx) => {
    if (!isNull(node)) fail(ctx, node, `!${tag} takes no value`);
    return null;
  });
}

/** Tmpfs `files:` values: text, or null for an empty file. */
const fileBody: Schema<string | null> = {
  describe: 'a string or null',
  optional: true,
  parse: (node, ctx) => (isNull(node) ? null : str().parse(node, ctx)),
};

const tmpfs = struct({
  size: def(int({ min: 1 }), 100 * MiB),
  mode: def(int({ min: 0, max: 0o7777 }), 0o1777),
  subdirs: def(map(struct({ mode: def(int({ min: 0, max: 0o7777 }), 0o755) })), {}),
  files: def(map(fileBody), {}),
});

const snapshot = struct({
  size: def(int({ min: 1 }), 100 * MiB),
  'owner-uid': opt(int({ min: 0 })),
  'owner-gid': opt(int({ min: 0 })),
  container: opt(str()),
});

const persistent = struct({
  name: persistentName(),
  'owner-uid': def(int({ min: 0 }), 0),
  'owner-gid': def(int({ min: 0 }), 0),
  'init-command': opt(str()),
}, { shorthand: 'name' });

const alternatives: Record<string, Schema<Volume>> = {
  Tmpfs: adapt(tmpfs, (v) => ({ kind: 'Tmpfs', size: v.size, mode: v.mode, subdirs: v.subdirs, files: v.files })),
  BindRW: adapt(containerPath(), (path) => ({ kind: 'BindRW', path })),
  BindRO: adapt(containerPath(), (path) => ({ kind: 'BindRO', path })),
  Empty: adapt(nothing('Empty'), () => ({ kind: 'Empty' })),
  VaggaBin: adapt(nothing('VaggaBin'), () => ({ kind: 'VaggaBin' })),
  // Empty and absolute names are runtime errors in Vagga (exit 124), so any string passes here.
  CacheDir: adapt(cacheName(), (name) => ({ kind: 'CacheDir', name })),
  Snapshot: adapt(snapshot, (v) => {
    const out: Volume = { kind: 'Snapshot', size: v.size };
    if (v.ownerUid !== undefined) out.ownerUid = v.ownerUid;
    if (v.ownerGid !== undefined) out.ownerGid = v.ownerGid;
    if (v.container !== undefined) out.container = v.container;
    return out;
  }),
  Container: adapt(str(), (name) => ({ kind: 'Container', name })),
  Persistent: adapt(persistent, (v) => {
    const out: Volume = { kind: 'Persistent', name: v.name, ownerUid: v.ownerUid, ownerGid: v.ownerGid };
    if (v.initCommand !== undefined) out.initCommand = v.initCommand;
    return out;
  }),
};

function adapt<A, B>(inner: Schema<A>, f: (a: A) => B): Schema<B> {
  return { describe: inner.describe, optional: inner.optional, parse: (node, ctx) => f(inner.parse(node, ctx)) };
}

/** One volume: `!Tmpfs {...}`, `!BindRW /work/x`, `!Persistent name`, ... -> Volume. */
export const volume: Schema<Volume> = adapt(tagged(alternatives, 'volume'), (t) => t.value);

/** A `volumes:` mapping: absolute mount point -> Volume (document order kept). */
export const volumes: Schema<Record<string, Volume>> = def(
  map(volume, (key) => (key.startsWith('/') ? containerPathProblem(key) : `Volume path must be absolute: ${JSON.stringify(key)}`)),
  {},
);

/**
 * Where each volume of a container or command node was declared: mount point (as written)
 * -> position of its key. Empty when the node has no `volumes:` mapping. Used in messages
 * about a volume (e.g. a missing mount point, src/runtime/check-mounts.ts).
 */
export function volumePositions(node: QNode): Record<string, Pos> {
  const out: Record<string, Pos> = {};
  if (node.kind !== 'map') return out;
  const vols = node.entries.find((e) => e.key === 'volumes')?.value;
  if (vols?.kind === 'map') for (const e of vols.entries) out[e.key] = e.keyPos;
  return out;
}
