/**
 * Exporting a container root as an OCI image (layers-and-images.md Part B §2b, §6): GNU tar
 * packs the root inside the user namespace (root-tar.ts), vagga hashes and compresses the
 * stream into a layer blob (blobs.ts), then writes the config, manifest and index.json
 * (layout.ts). The result is reproducible: the same root, name and run config give the
 * same layer, config and manifest digests (sorted entries, mtimes as in the root, no
 * atime/ctime, fixed `created`). A container built in the build cache's layers can be
 * exported as one image layer per cached layer (layer-tar.ts): a rebuilt container's image
 * then shares its unchanged layers (same digests) with the old one. This module is the
 * entry point other image features use (a registry push reads the layout it writes).
 */
import { rm } from 'node:fs/promises';
import type { IdMapping } from '../sandbox/types.js';
import { blobPath, writeLayerBlob, type Digest, type LayerBlob } from './blobs.js';
import type { ImageName } from './image-name.js';
import { checkLayoutDir, writeImageDocuments, type StoredLayer } from './layout.js';
import type { ImageRunConfig } from './oci-json.js';
import { startLayerTar } from './layer-tar.js';
import { startRootTar, type RootTarStream, type TarSandboxStarter } from './root-tar.js';
import type { RootTarOptions } from './tar-args.js';

/** Options of writeRootLayer. */
export interface RootLayerOptions {
  /** zlib level of the layer (default 6). */
  gzipLevel?: number;
  /** Layer compression (blobs.ts; default gzip). */
  compression?: 'gzip' | 'zstd';
  /** Extended attributes kept (default file capabilities only; tar-args.ts). */
  xattrs?: RootTarOptions['xattrs'];
  /** Top-level directories whose contents are left out (tar-args.ts; default: the runtime mount points). */
  excludeContent?: RootTarOptions['excludeContent'];
  /** Replaces the sandbox starter (tests). */
  startTar?: TarSandboxStarter;
}

/**
 * Pack the directory `rootfs` (host path) with `idMapping` (the container's map) as one
 * gzip layer blob of the OCI layout `layoutDir`. Resolves with its digest, diffID and
 * sizes. Throws what startRootTar throws; rejects with VaggaError (`image.tar-failed`)
 * when tar fails (no blob is left behind then).
 */
export async function writeRootLayer(rootfs: string, idMapping: IdMapping, layoutDir: string, opts: RootLayerOptions = {}): Promise<LayerBlob> {
  const tar = await startRootTar(rootfs, idMapping, { xattrs: opts.xattrs, excludeContent: opts.excludeContent }, opts.startTar);
  return storeLayer(tar, layoutDir, opts);
}

/**
 * Pack the build-cache layer whose upper dir is `diffDir` (layer-tar.ts: whiteouts and
 * opaque dirs as OCI marker files) as one gzip layer blob of `layoutDir`, like writeRootLayer.
 */
export async function writeUpperLayer(diffDir: string, idMapping: IdMapping, layoutDir: string, opts: RootLayerOptions = {}): Promise<LayerBlob> {
  const tar = await startLayerTar(diffDir, idMapping, { excludeContent: opts.excludeContent, startTar: opts.startTar });
  return storeLayer(tar, layoutDir, opts);
}

/** Compress and store a running tar as a blob; a blob of a failed tar is removed. */
async function storeLayer(tar: RootTarStream, layoutDir: string, opts: RootLayerOptions): Promise<LayerBlob> {
  const [blob, packed] = await Promise.allSettled([writeLayerBlob(tar.stream, layoutDir, { gzipLevel: opts.gzipLevel, compression: opts.compression }), tar.done]);
  if (packed.status === 'rejected') {
    // A blob of a failed tar is incomplete: drop it (unless the layout had it already).
    if (blob.status === 'fulfilled' && blob.value.created) await rm(blobPath(layoutDir, blob.value.digest), { force: true });
    throw packed.reason;
  }
  if (blob.status === 'rejected') throw blob.reason;
  return blob.value;
}

/** A build-cache layer exported as its own image layer. */
export interface UpperLayer {
  /** Host path of its upper dir (`<cache-dir>/.layers/layers/<name>/diff`). */
  diff: string;
  /** History line, e.g. what made it (`app step 2/3 !Sh ...`). */
  createdBy: string;
}

/** What exportImage needs. */
export interface ExportImageOptions extends RootLayerOptions {
  /** Host path of the container root (e.g. `.vagga/<name>`, symlinks resolved). */
  rootfs: string;
  /** The container's uid/gid map (idMappingFor(container.uids, container.gids)). */
  idMapping: IdMapping;
  /** The OCI layout directory written: missing, empty or an existing layout (the image is added). */
  layoutDir: string;
  /** Repository and tag (index.json's reference name is `repository:tag`). */
  name: ImageName;
  /** What the image runs (imageRunConfig of run-config.ts). */
  config: ImageRunConfig;
  /** History line of the layer (default `vagga _pack_image`). */
  createdBy?: string;
  /**
   * The container's build-cache layers, bottom first: when given, one image layer each
   * instead of one of `rootfs` (their union is the root; the caller holds the store's lease).
   */
  upperLayers?: readonly UpperLayer[];
}

/** What exportImage wrote. */
export interface ExportImageResult {
  layoutDir: string;
  /** Digest of the manifest (what a registry reports as Docker-Content-Digest). */
  manifestDigest: Digest;
  configDigest: Digest;
  /** index.json's reference name: `skopeo copy oci:<layoutDir>:<refName> ...`. */
  refName: string;
  /** The layers, base first. */
  layers: LayerBlob[];
}

/**
 * Export `rootfs` as a single-layer OCI image, or its build-cache layers `upperLayers` as one
 * image layer each, into the layout `layoutDir` (see the module comment). Throws VaggaError `image.output-exists` (121) when `layoutDir` is neither empty
 * nor a layout, `image.tar-failed` (121) when packing fails; sandbox errors propagate.
 */
export async function exportImage(opts: ExportImageOptions): Promise<ExportImageResult> {
  checkLayoutDir(opts.layoutDir);
  const layers: LayerBlob[] = [];
  const stored: StoredLayer[] = [];
  if (opts.upperLayers) {
    for (const upper of opts.upperLayers) {
      const layer = await writeUpperLayer(upper.diff, opts.idMapping, opts.layoutDir, opts);
      layers.push(layer);
      stored.push({ ...layer, createdBy: upper.createdBy });
    }
  } else {
    const layer = await writeRootLayer(opts.rootfs, opts.idMapping, opts.layoutDir, opts);
    layers.push(layer);
    stored.push({ ...layer, createdBy: opts.createdBy ?? 'vagga _pack_image' });
  }
  const docs = await writeImageDocuments(opts.layoutDir, stored, opts.config, opts.name);
  return { layoutDir: opts.layoutDir, manifestDigest: docs.manifest.digest, configDigest: docs.config.digest, refName: docs.refName, layers };
}
