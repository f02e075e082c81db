/**
 * Pushing one image of an OCI layout on disk (written by src/image/export.ts) to a registry
 * tag: each layer blob streamed from its file (skipped when the registry has it), the
 * config, then the manifest under the tag. The manifest's bytes are sent unchanged, so the
 * registry's digest equals the layout's.
 */
import { createReadStream, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { VaggaError } from '../../errors/vagga-error.js';
import { RegistryClient, type ClientOptions, type ImageManifest } from './client.js';
import type { RegistryRef } from './reference.js';

/** What pushLayoutImage sent. */
export interface PushedImage {
  manifestDigest: string;
  /** Layers uploaded (the others were in the registry already). */
  uploaded: number;
  layers: number;
}

function blobFile(layoutDir: string, digest: string): string {
  return join(layoutDir, 'blobs', ...digest.split(':'));
}

/**
 * Push the image whose manifest is blob `manifestDigest` of `layoutDir` to `ref` (its
 * tag). Throws the client's VaggaErrors (`registry.*`); `registry.digest-mismatch` when the
 * registry reports another manifest digest than the local one.
 */
export async function pushLayoutImage(layoutDir: string, manifestDigest: string, ref: RegistryRef, opts: ClientOptions = {}): Promise<PushedImage> {
  const client = new RegistryClient(ref, opts);
  const bytes = readFileSync(blobFile(layoutDir, manifestDigest));
  const manifest = JSON.parse(bytes.toString('utf8')) as ImageManifest & { mediaType?: string };
  let uploaded = 0;
  for (const layer of manifest.layers) {
    const r = await client.pushBlob(createReadStream(blobFile(layoutDir, layer.digest)), layer.digest);
    if (!r.skipped) uploaded++;
  }
  await client.pushBlob(createReadStream(blobFile(layoutDir, manifest.config.digest)), manifest.config.digest);
  const remote = await client.putManifest(ref.tag, bytes, manifest.mediaType ?? 'application/vnd.oci.image.manifest.v1+json');
  if (remote !== manifestDigest) {
    throw new VaggaError(`The registry stored the manifest as ${remote}, not ${manifestDigest}`, { code: 'registry.digest-mismatch' });
  }
  return { manifestDigest, uploaded, layers: manifest.layers.length };
}
