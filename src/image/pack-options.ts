/**
 * What `vagga _pack_image` was asked to do, from its parsed options (pure): the output
 * format, the compression of a plain tar, the output file and the image name. Vagga's
 * options are `-f/--file`, `-z/--gzip`, `-j/--bzip2`, `-J/--xz` (inventory §1.8); this
 * version adds `--zstd`, `--format tar|oci|oci-archive|docker`, `--name REPO:TAG` and `--squash`.
 */
import { isAbsolute, join } from 'node:path';
import { VaggaError } from '../errors/vagga-error.js';
import type { Compression } from './compression.js';
import { parseImageName, type ImageName } from './image-name.js';

/** Output formats of `_pack_image`. */
export const PACK_FORMATS = ['tar', 'oci', 'oci-archive', 'docker'] as const;
export type PackFormat = (typeof PACK_FORMATS)[number];

/** A planned `_pack_image`. */
export type PackPlan =
  | { format: 'tar'; compression?: Compression; /** Absolute; absent: stdout. */ file?: string }
  | {
    format: 'oci' | 'oci-archive' | 'docker';
    /** Absolute. */
    file: string;
    /** Absent: the default name (known after the build). */
    name?: ImageName;
    /** One layer of the whole root even when the container was built in cached layers. */
    squash: boolean;
  };

/** The option values `_pack_image` parses (builtins.ts keys). */
export interface PackValues {
  file?: string;
  gzip?: boolean;
  bzip2?: boolean;
  xz?: boolean;
  zstd?: boolean;
  format?: string;
  name?: string;
  squash?: boolean;
}

function badArgs(message: string, hint?: string): VaggaError {
  return new VaggaError(message, { code: 'image.bad-args', hint });
}

/**
 * Plan `_pack_image` from `values`; a relative `-f` is under `projectRoot` (as Vagga).
 * Throws VaggaError `image.bad-args` (122) for an unknown format, two compressions,
 * compression with an image format, `--name` or `--squash` with a plain tar, an image format without `-f`;
 * `image.bad-name` (122) for an invalid `--name`.
 */
export function planPack(values: PackValues, projectRoot: string): PackPlan {
  const format = (values.format ?? 'tar') as PackFormat;
  if (!PACK_FORMATS.includes(format)) {
    throw badArgs(`Unknown --format ${JSON.stringify(values.format)}: expected one of ${PACK_FORMATS.join(', ')}`);
  }
  const compressions = (['gzip', 'bzip2', 'xz', 'zstd'] as const).filter((c) => values[c]);
  if (compressions.length > 1) throw badArgs(`Only one compression may be given, got ${compressions.map((c) => `--${c}`).join(' and ')}`);
  const file = values.file === undefined ? undefined : isAbsolute(values.file) ? values.file : join(projectRoot, values.file);
  if (format === 'tar') {
    if (values.name !== undefined) throw badArgs('--name names an image: use it with --format oci, oci-archive or docker');
    if (values.squash) throw badArgs('--squash is about image layers: use it with --format oci, oci-archive or docker');
    const plan: PackPlan = { format };
    if (compressions[0]) plan.compression = compressions[0];
    if (file) plan.file = file;
    return plan;
  }
  if (compressions.length > 0) throw badArgs(`--${compressions[0]} compresses a plain tar; --format ${format} writes gzip layers itself`);
  if (!file) {
    throw badArgs(`--format ${format} needs -f ${format === 'oci' ? 'DIR (the OCI layout directory)' : 'FILE'}`, 'Images are not written to stdout.');
  }
  const plan: PackPlan = { format, file, squash: values.squash === true };
  if (values.name !== undefined) plan.name = parseImageName(values.name);
  return plan;
}
