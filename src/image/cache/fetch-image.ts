/**
 * Getting a container from its `image-cache-url` instead of building it (the effects of
 * plan.ts's decision; vagga-inventory.md §2.3 step 5, layers-and-images.md Part B §4):
 *  - registry (`docker://`): HEAD the manifest (the probe), GET it (an index resolves to
 *    linux/<arch>), GET the config; a single tar layer is streamed blob → SHA-256 check →
 *    gunzip (node:zlib) → diff_id check, or zstd (the host's, frame checksums) → GNU tar in
 *    the namespace;
 *    other images are downloaded into an OCI layout in the build dir (each blob checked)
 *    and unpacked with `umoci raw unpack`;
 *  - tarball (`http(s)://`, path): streamed into GNU tar in the namespace, which decompresses.
 * Then the root gets its index (`index.txt`, for `_verify`/`_hardlink`): read from the
 * archive as it streams past for a zstd layer (the kind `_push_image` writes; tar-index.ts),
 * else walked in the namespace like a build's. `build.log` says where it came from. The caller publishes it
 * like a build (uid_map/gid_map, rename, link: ensure-built.ts). On any failure one warning
 * line is written (Vagga's `Error when unpacking image: … Will clean and build it
 * locally...`), the partial root is removed and an empty one made for the build.
 */
import { createHash } from 'node:crypto';
import { createReadStream, readFileSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, type Transform } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { createWriteStream, realpathSync } from 'node:fs';
import { VaggaError } from '../../errors/vagga-error.js';
import type { IdMapping } from '../../sandbox/types.js';
import { formatIndex, type IndexEntry } from '../../storage/index-format.js';
import { startFilter } from '../host-programs.js';
import { TarIndexer } from '../../storage/tar-index.js';
import { removeTree } from '../../storage/remove.js';
import { VERSION_FILES } from '../../storage/layout.js';
import { RegistryClient, verifyingStream, type BlobDescriptor, type FetchedManifest } from '../registry/client.js';
import type { CacheSource } from './plan.js';
import { unpackTarStream, unpackWithUmoci, type UnpackStarter } from './unpack.js';

/** What fetchCachedImage needs. */
export interface FetchImageInput {
  /** Container name (messages). */
  name: string;
  /** The substituted URL (messages). */
  url: string;
  source: CacheSource;
  /** `.roots/.tmp.<name>`, holding an empty `root`. */
  buildDir: string;
  /** The container's uid/gid map. */
  idMapping: IdMapping;
  /** The `insecure-registries` setting. */
  insecureRegistries?: readonly string[];
  signal?: AbortSignal;
  /** Messages (stderr). */
  write(text: string): void;
  /** Replaces the sandbox starter (tests). */
  start?: UnpackStarter;
  /** Replaces the index walk (tests); default: `vagga __index__ walk` in the namespace. */
  index?(root: string, idMapping: IdMapping): Promise<string>;
}

/** What fetchCachedImage got. */
export interface FetchedImage {
  /** One line for build.log and -v: what was downloaded. */
  description: string;
}

const TAR_LAYER = /^application\/vnd\.(oci\.image\.layer\.v1\.tar(\+gzip|\+zstd)?|docker\.image\.rootfs\.diff\.tar(\.gzip)?)$/;

/**
 * Download and unpack the image (see the module comment). Resolves with what was fetched,
 * or undefined after writing the one warning line (the caller then builds).
 */
export async function fetchCachedImage(input: FetchImageInput): Promise<FetchedImage | undefined> {
  const root = join(input.buildDir, 'root');
  try {
    const started = Date.now();
    const { description, index: streamed } = input.source.kind === 'registry'
      ? await pullFromRegistry(input, root)
      : { description: await unpackTarball(input, root), index: undefined };
    const unpacked = Date.now();
    const index = streamed ? formatIndex(streamed) : await (input.index ?? indexInNamespace)(root, input.idMapping);
    await writeFile(join(input.buildDir, 'index.txt'), index);
    await writeFile(join(input.buildDir, VERSION_FILES.buildLog), `${description}\n`);
    // The same columns as a build's timings.log: since the start, since the line before.
    const line = (t: number, last: number, label: string) => `${((t - started) / 1000).toFixed(2).padStart(8)}s ${((t - last) / 1000).toFixed(2).padStart(8)}s  ${label}\n`;
    const indexed = Date.now();
    await writeFile(join(input.buildDir, VERSION_FILES.timings), line(unpacked, started, 'Download and unpack') + line(indexed, unpacked, streamed ? 'Index (read from the archive)' : 'Index'));
    return { description };
  } catch (err) {
    const e = err as Error;
    input.write(`Warning: Error when unpacking image ${input.url}: ${oneLine(e.message)}. Will clean and build it locally...\n`);
    await rm(join(input.buildDir, 'oci-download'), { recursive: true, force: true }).catch(() => undefined);
    await removeTree(root);
    await mkdir(root, { recursive: true, mode: 0o755 });
    return undefined;
  }
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, '; ').replace(/\.$/, '');
}

async function unpackTarball(input: FetchImageInput, root: string): Promise<string> {
  const source = input.source as Extract<CacheSource, { kind: 'http' | 'file' }>;
  let stream: Readable;
  if (source.kind === 'http') {
    let res: Response;
    try {
      res = await fetch(source.url, { signal: input.signal });
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause;
      throw new VaggaError(`cannot download it: ${cause?.code ?? (err as Error).message}`, { code: 'image.download-failed' });
    }
    if (!res.ok || !res.body) {
      await res.body?.cancel();
      throw new VaggaError(`the server answered ${res.status} ${res.statusText}`, { code: 'image.download-failed' });
    }
    stream = Readable.fromWeb(res.body as unknown as WebReadableStream<Uint8Array>);
  } else {
    stream = createReadStream(source.path);
    await new Promise<void>((resolve, reject) => stream.once('open', () => resolve()).once('error', reject));
  }
  await unpackTarStream(stream, root, input.idMapping, source.compression, [], input.start);
  return `Downloaded container ${input.name} from ${input.url} (a tarball) instead of building it`;
}

async function pullFromRegistry(input: FetchImageInput, root: string): Promise<{ description: string; index?: IndexEntry[] }> {
  let index: IndexEntry[] | undefined;
  const { ref } = input.source as Extract<CacheSource, { kind: 'registry' }>;
  const client = new RegistryClient(ref, { insecure: input.insecureRegistries, signal: input.signal });
  const probe = await client.headManifest(ref.tag);
  if (!probe) throw new VaggaError(`the registry has no image tagged ${ref.tag} (404)`, { code: 'registry.not-found' });
  const got = await client.getManifest(ref.tag);
  if (!got) throw new VaggaError(`the registry has no image tagged ${ref.tag} (404)`, { code: 'registry.not-found' });
  const configBytes = await client.blobBytes(got.manifest.config);
  let diffIds: string[] = [];
  try {
    diffIds = (JSON.parse(configBytes.toString('utf8')) as { rootfs?: { diff_ids?: string[] } }).rootfs?.diff_ids ?? [];
  } catch {
    throw new VaggaError('the image config is not JSON', { code: 'registry.bad-manifest' });
  }
  const layers = got.manifest.layers;
  if (diffIds.length !== layers.length) {
    throw new VaggaError(`the image config lists ${diffIds.length} diff_ids for ${layers.length} layers`, { code: 'registry.bad-manifest' });
  }
  const single = layers.length === 1 && TAR_LAYER.test(layers[0]!.mediaType);
  if (single) {
    const layer = layers[0]!;
    if (/zstd$/.test(layer.mediaType)) {
      // The host's zstd decompresses (in parallel with tar and with vagga); on its way to tar
      // the archive is read into the root's index (an image vagga pushed: tar-index.ts),
      // which spares the walk over the unpacked root. The blob's digest is checked as it
      // streams (blobStream) and zstd checks its frames' checksums, so the diffID is not
      // hashed again (a second SHA-256 over the whole archive cost about 0.4 s a hit).
      const zstd = startFilter(['-q', '-d', '-c'], 'to read zstd image layers');
      const indexer = new TarIndexer();
      const blob = await client.blobStream(layer);
      await Promise.all([
        pipeline(blob, zstd.stdin),
        unpackTarStream(zstd.stdout, root, input.idMapping, 'none', [indexer], input.start),
        zstd.done,
      ]);
      index = indexer.entries();
    } else {
      const transforms: Transform[] = [];
      if (/gzip$/.test(layer.mediaType)) transforms.push(createGunzip());
      transforms.push(verifyingStream(diffIds[0]!, `Layer ${layer.digest} (uncompressed)`));
      await unpackTarStream(await client.blobStream(layer), root, input.idMapping, 'none', transforms, input.start);
    }
  } else {
    const layoutDir = join(input.buildDir, 'oci-download');
    await downloadLayout(client, got, configBytes, diffIds, layoutDir, ref.tag);
    await rm(root, { recursive: true, force: true });
    await unpackWithUmoci(layoutDir, ref.tag, input.buildDir, input.idMapping, input.start);
    await rm(layoutDir, { recursive: true, force: true });
  }
  return {
    description: `Downloaded container ${input.name} from ${input.url} (manifest ${got.digest}, ${layers.length} layer${layers.length === 1 ? '' : 's'}) instead of building it`,
    index,
  };
}

/**
 * Download the image into an OCI layout at `dir` (every blob checked against its digest).
 * umoci 0.4.7 (Debian 12) does not read zstd layers: those are stored decompressed (checked
 * against their diffID `diffIds[i]`) as plain tar layers of a rewritten manifest.
 */
async function downloadLayout(client: RegistryClient, got: FetchedManifest, configBytes: Buffer, diffIds: readonly string[], dir: string, tag: string): Promise<void> {
  const blobs = join(dir, 'blobs', 'sha256');
  await mkdir(blobs, { recursive: true });
  const put = (digest: string, bytes: Buffer) => writeFile(join(blobs, digest.slice('sha256:'.length)), bytes);
  const layers: BlobDescriptor[] = [];
  for (const [i, layer] of (got.manifest.layers as BlobDescriptor[]).entries()) {
    if (/zstd$/.test(layer.mediaType)) {
      const diffId = diffIds[i]!;
      const path = join(blobs, diffId.slice('sha256:'.length));
      const zstd = startFilter(['-q', '-d', '-c'], 'to read zstd image layers');
      let size = 0;
      const counted = verifyingStream(diffId, `Layer ${layer.digest} (uncompressed)`);
      counted.on('data', (c: Buffer) => { size += c.length; });
      await Promise.all([
        pipeline(await client.blobStream(layer), zstd.stdin),
        pipeline(zstd.stdout, counted, createWriteStream(`${path}.part`)),
        zstd.done,
      ]);
      await rename(`${path}.part`, path);
      layers.push({ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: diffId, size });
      continue;
    }
    const path = join(blobs, layer.digest.slice('sha256:'.length));
    await pipeline(await client.blobStream(layer), createWriteStream(`${path}.part`));
    await rename(`${path}.part`, path);
    layers.push(layer);
  }
  await put(got.manifest.config.digest, configBytes);
  let manifest = { mediaType: got.mediaType, digest: got.digest, size: got.bytes.length };
  if (layers.some((l, i) => l !== got.manifest.layers[i])) {
    const bytes = Buffer.from(JSON.stringify({ ...got.manifest, layers }), 'utf8');
    manifest = { mediaType: got.mediaType, digest: `sha256:${createHash('sha256').update(bytes).digest('hex')}`, size: bytes.length };
    await put(manifest.digest, bytes);
  } else {
    await put(got.digest, got.bytes);
  }
  await writeFile(join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  await writeFile(join(dir, 'index.json'), JSON.stringify({
    schemaVersion: 2,
    manifests: [{ ...manifest, annotations: { 'org.opencontainers.image.ref.name': tag } }],
  }));
}

/** The index of `root` (index-format.ts), walked by `vagga __index__` in the namespace with `idMapping`. */
async function indexInNamespace(root: string, idMapping: IdMapping): Promise<string> {
  const { runIndexHelper } = await import('../../storage/index-sandbox.js');
  const inside = '/vagga/root';
  return runIndexHelper(
    (out) => ['walk', inside, `${out}/index.txt`],
    [{ source: realpathSync(root), dest: inside, readOnly: true }],
    idMapping,
    (out) => readFileSync(join(out, 'index.txt'), 'utf8'),
  );
}
