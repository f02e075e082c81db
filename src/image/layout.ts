/**
 * Writing an OCI image layout directory (OCI image-layout spec: `oci-layout`, `index.json`,
 * `blobs/sha256/*`): the config and manifest blobs of one image and its entry in
 * index.json. A layout may hold several images: writing into an existing layout keeps its
 * blobs (a layer already there is shared) and its other images, and replaces an image of
 * the same reference name.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { VaggaError } from '../errors/vagga-error.js';
import { writeBytesBlob, type BlobRef, type Digest } from './blobs.js';
import { formatImageName, type ImageName } from './image-name.js';
import {
  canonicalJson, imageConfig, imageManifest, layoutIndex, manifestDescriptor, OCI_LAYOUT_FILE,
  type ConfigLayer, type Descriptor, type ImageRunConfig,
} from './oci-json.js';

/**
 * Check that `dir` can receive an image layout: missing, empty, or a layout already (has
 * `oci-layout`). Throws VaggaError (`image.output-exists`, 121) otherwise.
 */
export function checkLayoutDir(dir: string): void {
  if (!existsSync(dir) || existsSync(join(dir, 'oci-layout'))) return;
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    throw new VaggaError(`Cannot write an OCI layout to ${dir}: it is not a directory`, { code: 'image.output-exists' });
  }
  if (entries.length > 0) {
    throw new VaggaError(`Cannot write an OCI layout to ${dir}: the directory is not empty and not an OCI layout`, { code: 'image.output-exists' });
  }
}

/** The manifests listed in `dir`'s index.json (none when it has no readable one). */
export function readLayoutIndex(dir: string): Descriptor[] {
  try {
    const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as { manifests?: Descriptor[] };
    return Array.isArray(index.manifests) ? index.manifests : [];
  } catch {
    return [];
  }
}

/** One layer already stored as a blob of the layout, with its history line. */
export interface StoredLayer extends ConfigLayer, BlobRef {}

/** What writeImageDocuments wrote. */
export interface ImageDocuments {
  config: BlobRef;
  manifest: BlobRef;
  /** The reference name in index.json (`oci:DIR:<refName>` for skopeo). */
  refName: string;
}

async function writeAtomically(path: string, text: string): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, text);
  await rename(tmp, path);
}

/**
 * Write the image config (from `layers` and `run`) and manifest as blobs of `layoutDir`,
 * list the manifest in index.json under the reference name `repository:tag` of `name`
 * (replacing an image of that name), and write `oci-layout`. The layer blobs must be in
 * the layout already (writeLayerBlob). Returns the config and manifest digests.
 */
export async function writeImageDocuments(layoutDir: string, layers: readonly StoredLayer[], run: ImageRunConfig, name: ImageName): Promise<ImageDocuments> {
  await mkdir(layoutDir, { recursive: true });
  const config = await writeBytesBlob(layoutDir, canonicalJson(imageConfig(layers, run)));
  const manifest = await writeBytesBlob(layoutDir, canonicalJson(imageManifest(config, layers)));
  const refName = formatImageName(name);
  const index = layoutIndex(manifestDescriptor(manifest, refName, refName), readLayoutIndex(layoutDir));
  await writeAtomically(join(layoutDir, 'oci-layout'), OCI_LAYOUT_FILE);
  await writeAtomically(join(layoutDir, 'index.json'), canonicalJson(index));
  return { config, manifest, refName };
}

export type { Digest };
