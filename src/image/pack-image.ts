/**
 * `_pack_image --format oci|oci-archive|docker`: export the root (export.ts) into an OCI
 * layout — the output directory itself for `oci`, else a temporary layout next to the
 * output file, turned into an oci-archive or docker-archive (archives.ts) and removed.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { IdMapping } from '../sandbox/types.js';
import { writeDockerArchive, writeOciArchive } from './archives.js';
import { exportImage, type ExportImageResult, type RootLayerOptions, type UpperLayer } from './export.js';
import { formatImageName, type ImageName } from './image-name.js';
import type { ImageRunConfig } from './oci-json.js';

/** What packImage writes. */
export interface PackImageOptions extends RootLayerOptions {
  format: 'oci' | 'oci-archive' | 'docker';
  /** Output: the layout dir (`oci`) or the archive file (absolute). */
  file: string;
  rootfs: string;
  idMapping: IdMapping;
  name: ImageName;
  config: ImageRunConfig;
  createdBy?: string;
  /** The container's build-cache layers (export.ts ExportImageOptions.upperLayers). */
  upperLayers?: readonly UpperLayer[];
}

/**
 * Write the image (see the module comment). Resolves with the export's result (its
 * `layoutDir` is gone afterwards unless the format is `oci`). Errors: those of exportImage,
 * writeOciArchive and writeDockerArchive.
 */
export async function packImage(opts: PackImageOptions): Promise<ExportImageResult> {
  if (opts.format === 'oci') return exportImage({ ...opts, layoutDir: opts.file });
  const layoutDir = await mkdtemp(join(dirname(opts.file), `.${basename(opts.file)}.layout-`));
  try {
    const result = await exportImage({ ...opts, layoutDir });
    if (opts.format === 'oci-archive') await writeOciArchive(layoutDir, opts.file);
    else await writeDockerArchive(layoutDir, result.refName, opts.file, formatImageName(opts.name));
    return result;
  } finally {
    await rm(layoutDir, { recursive: true, force: true });
  }
}
