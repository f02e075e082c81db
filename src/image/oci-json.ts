/**
 * The JSON documents of an OCI image (OCI image spec v1.0: image config, manifest, image
 * index, `oci-layout`), built as plain objects with a fixed key order and serialised
 * without spaces, so that equal inputs give byte-identical documents and digests. Times are
 * fixed at the epoch (`created`), so the manifest digest depends only on the root's content
 * and the image settings (layers-and-images.md Part B §2b). Pure.
 */
import type { Digest } from './blobs.js';

export const MEDIA_TYPES = {
  manifest: 'application/vnd.oci.image.manifest.v1+json',
  config: 'application/vnd.oci.image.config.v1+json',
  layerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  layerZstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  index: 'application/vnd.oci.image.index.v1+json',
} as const;

/** The `created` time of every config and history entry. */
export const FIXED_CREATED = '1970-01-01T00:00:00Z';

/** Content of the `oci-layout` file. */
export const OCI_LAYOUT_FILE = '{"imageLayoutVersion":"1.0.0"}';

/** Annotation naming a manifest in index.json (skopeo's `oci:DIR:REF` looks it up). */
export const REF_NAME_ANNOTATION = 'org.opencontainers.image.ref.name';
/** Annotation with the full image name (containerd's; harmless elsewhere). */
export const IMAGE_NAME_ANNOTATION = 'io.containerd.image.name';

/** What the image runs (OCI config `config` fields). All optional. */
export interface ImageRunConfig {
  /** `NAME=value` lines. */
  env?: string[];
  entrypoint?: string[];
  cmd?: string[];
  workingDir?: string;
  user?: string;
  /** `80/tcp`, `53/udp`. */
  exposedPorts?: string[];
  labels?: Record<string, string>;
  /** OCI `StopSignal`, e.g. `SIGTERM`. */
  stopSignal?: string;
}

/** An OCI content descriptor. */
export interface Descriptor {
  mediaType: string;
  digest: Digest;
  size: number;
  annotations?: Record<string, string>;
}

/** Node's `process.arch` as a GOARCH name (OCI config `architecture`). */
export function ociArchitecture(arch: string = process.arch): string {
  const names: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' };
  return names[arch] ?? arch;
}

/** One layer of the image: its diffID and what produced it (a history line). */
export interface ConfigLayer {
  diffId: Digest;
  /** `history[].created_by`, e.g. `vagga _pack_image app`. */
  createdBy: string;
}

/**
 * The image config document (an object; serialise with canonicalJson): fixed `created`,
 * `architecture` (default this machine's), `os: linux`, the run config (empty fields left
 * out), the layers' diff_ids and one history entry per layer.
 */
export function imageConfig(layers: readonly ConfigLayer[], run: ImageRunConfig = {}, architecture = ociArchitecture()): object {
  const config: Record<string, unknown> = {};
  if (run.user) config.User = run.user;
  if (run.exposedPorts?.length) config.ExposedPorts = Object.fromEntries(run.exposedPorts.map((p) => [p, {}]));
  if (run.env?.length) config.Env = [...run.env];
  if (run.entrypoint?.length) config.Entrypoint = [...run.entrypoint];
  if (run.cmd?.length) config.Cmd = [...run.cmd];
  if (run.workingDir) config.WorkingDir = run.workingDir;
  if (run.labels && Object.keys(run.labels).length > 0) config.Labels = sortedRecord(run.labels);
  if (run.stopSignal) config.StopSignal = run.stopSignal;
  return {
    created: FIXED_CREATED,
    architecture,
    os: 'linux',
    config,
    rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
    history: layers.map((l) => ({ created: FIXED_CREATED, created_by: l.createdBy })),
  };
}

/** The image manifest document for a config blob and layer blobs (gzip unless a layer says zstd). */
export function imageManifest(config: { digest: Digest; size: number }, layers: readonly { digest: Digest; size: number; compression?: 'gzip' | 'zstd' }[]): object {
  return {
    schemaVersion: 2,
    mediaType: MEDIA_TYPES.manifest,
    config: { mediaType: MEDIA_TYPES.config, digest: config.digest, size: config.size },
    layers: layers.map((l) => ({ mediaType: l.compression === 'zstd' ? MEDIA_TYPES.layerZstd : MEDIA_TYPES.layerGzip, digest: l.digest, size: l.size })),
  };
}

/**
 * The descriptor of a manifest as index.json lists it, annotated with the reference name
 * `refName` (what `oci:DIR:REF` selects) and the full image name.
 */
export function manifestDescriptor(manifest: { digest: Digest; size: number }, refName: string, fullName: string): Descriptor {
  return {
    mediaType: MEDIA_TYPES.manifest,
    digest: manifest.digest,
    size: manifest.size,
    annotations: { [IMAGE_NAME_ANNOTATION]: fullName, [REF_NAME_ANNOTATION]: refName },
  };
}

/**
 * The index.json document: the `existing` manifests (from an index.json already in the
 * layout) except those with the same reference name, then `added`.
 */
export function layoutIndex(added: Descriptor, existing: readonly Descriptor[] = []): object {
  const ref = added.annotations?.[REF_NAME_ANNOTATION];
  const kept = existing.filter((d) => d.annotations?.[REF_NAME_ANNOTATION] !== ref);
  return { schemaVersion: 2, mediaType: MEDIA_TYPES.index, manifests: [...kept, added] };
}

/** `value` as compact JSON (key order as built; the builders above fix it). */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value);
}

function sortedRecord(r: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.keys(r).sort().map((k) => [k, r[k]!]));
}
