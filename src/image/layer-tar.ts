/**
 * One OCI layer tar from one build-cache layer (an overlayfs upper dir of the layer store),
 * written by GNU tar inside the user namespace with the container's uid map, like a root
 * export (root-tar.ts). Two sandboxes: the first lists the upper dir (`find`, and attr's
 * `getfattr` for the opaque directories, whose `user.overlay.opaque` xattr Node cannot
 * read); vagga turns the listing into tar's member list and a tree of empty whiteout marker
 * files (layer-list.ts) in a temporary dir of its own; the second runs tar over that list.
 */
import { existsSync, realpathSync } from 'node:fs';
import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { MissingToolError, VaggaError } from '../errors/vagga-error.js';
import type { IdMapping, SandboxResult } from '../sandbox/types.js';
import { LAYER_INSIDE, layerTarList, MARKERS_INSIDE, parseFindOutput, parseOpaqueDirs } from './layer-list.js';
import { toolSpec, type RootTarStream, type TarSandboxStarter } from './root-tar.js';
import { EXCLUDED_CONTENT_DIRS, listTarArgs } from './tar-args.js';

const GETFATTR = '/usr/bin/getfattr';
const LIST_INSIDE = '/vagga/list';

/** Lists the upper dir: find's records, an empty record, then getfattr's text. */
const SCAN_SCRIPT = [
  `cd ${LAYER_INSIDE}`,
  `find . -mindepth 1 \\( -type c -printf 'w%p\\0' \\) -o -printf 'e%p\\0'`,
  `printf '\\0'`,
  `${GETFATTR} -R -P -h --absolute-names -d -m '^user\\.overlay\\.opaque$' .`,
].join(' && ');

/** Split the scan output at the first empty NUL record. */
function splitScan(out: Buffer): { find: Buffer; attrs: string } {
  let end = -1;
  if (out[0] === 0) end = 0;
  else for (let i = 1; i < out.length; i++) if (out[i] === 0 && out[i - 1] === 0) { end = i; break; }
  if (end < 0) throw new Error('Internal error: the layer listing has no end mark');
  return { find: out.subarray(0, end), attrs: out.subarray(end + 1).toString('utf8') };
}

async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** Options of startLayerTar. */
export interface LayerTarOptions {
  /** Top-level directories whose contents are left out (default EXCLUDED_CONTENT_DIRS). */
  excludeContent?: readonly string[];
  /** Replaces the sandbox starter (tests). */
  startTar?: TarSandboxStarter;
}

/**
 * Start the OCI layer tar of the upper dir `diffDir` (a host path of the layer store) inside
 * a user namespace with `idMapping` (the container's). Whiteouts and opaque directories
 * become the OCI spec's marker files; file capabilities are kept, overlayfs's own xattrs
 * are not. Throws MissingToolError (121) without getfattr (Debian package `attr`),
 * VaggaError `image.tar-failed` (121) when the listing fails; `done` rejects like
 * startRootTar's. The temporary marker tree is removed when `done` settles.
 */
export async function startLayerTar(diffDir: string, idMapping: IdMapping, opts: LayerTarOptions = {}): Promise<RootTarStream> {
  if (!existsSync(GETFATTR)) throw new MissingToolError('getfattr', 'attr', 'to read the opaque directories of the build cache\'s layers');
  const start = opts.startTar ?? (await import('../sandbox/bwrap.js')).startSandbox;
  const diff = realpathSync(diffDir);
  const scan = start(toolSpec(['/bin/bash', '-c', SCAN_SCRIPT], [{ source: diff, dest: LAYER_INSIDE }], idMapping));
  if (!scan.stdout) throw new Error('Internal error: the layer listing has no stdout pipe');
  const [out, scanned] = await Promise.all([collect(scan.stdout), scan.done]);
  if (scanned.status !== 0) {
    throw new VaggaError(`Could not list the build-cache layer ${diffDir}: the listing exited with status ${scanned.status}`, { code: 'image.tar-failed' });
  }
  const { find, attrs } = splitScan(out);
  const list = layerTarList(parseFindOutput(find), parseOpaqueDirs(attrs), opts.excludeContent ?? EXCLUDED_CONTENT_DIRS);
  const work = await mkdtemp(join(tmpdir(), 'vagga-layer-'));
  let handle: { stdout?: Readable; done: Promise<SandboxResult> };
  try {
    const markers = join(work, 'markers');
    await mkdir(markers);
    for (const m of list.markers) {
      const path = join(markers, m);
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, '', { mode: 0o644 });
      await utimes(path, 0, 0);
    }
    await writeFile(join(work, 'list'), list.text);
    handle = start(toolSpec(['/usr/bin/tar', ...listTarArgs(LIST_INSIDE)], [
      { source: diff, dest: LAYER_INSIDE },
      { source: markers, dest: MARKERS_INSIDE },
      { source: join(work, 'list'), dest: LIST_INSIDE },
    ], idMapping));
  } catch (err) {
    await rm(work, { recursive: true, force: true });
    throw err;
  }
  if (!handle.stdout) throw new Error('Internal error: the tar sandbox has no stdout pipe');
  const done = handle.done.finally(() => rm(work, { recursive: true, force: true })).then((r) => {
    if (r.status !== 0) {
      throw new VaggaError(`Could not pack the build-cache layer ${diffDir}: tar exited with status ${r.status}`, { code: 'image.tar-failed' });
    }
  });
  return { stream: handle.stdout, done };
}
