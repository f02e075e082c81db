/**
 * The GNU tar(1) command line that packs a container root for `_pack_image` and for image
 * layers (pure). Flags measured in layers-and-images.md Part B §2b: `--sort=name` (stable
 * order), `--numeric-owner` (no host user names), pax with the PaxHeaders name fixed and
 * atime/ctime deleted (byte-identical archives of one tree), `--xattrs` limited to file
 * capabilities. tar runs inside the user namespace with the container's uid map, so owners
 * come out as the container sees them (runtime-facts §12).
 */

/**
 * Top-level directories whose contents are never packed: kernel file systems (`dev`,
 * `proc`, `sys`) and the mount points vagga puts over the root at run time (`run` and `tmp`
 * tmpfs, `work` the project). The directories themselves are kept (runtimes mount there).
 */
export const EXCLUDED_CONTENT_DIRS = ['dev', 'proc', 'sys', 'run', 'tmp', 'work'] as const;

/** Options of rootTarArgs. */
export interface RootTarOptions {
  /**
   * Extended attributes kept (GNU tar `--xattrs-include` patterns); default
   * `['security.capability']`. A layer of the build cache also needs `user.overlay.*`.
   */
  xattrs?: readonly string[];
  /** Where the archive goes: `-` (stdout, the default) or a path inside the sandbox. */
  file?: string;
  /**
   * Top-level directories whose contents are left out (default EXCLUDED_CONTENT_DIRS). The
   * image cache (`_push_image` to a registry) keeps `run`, `tmp` and `work` so that a
   * downloaded root equals the built one (e.g. Debian's `/run/lock`).
   */
  excludeContent?: readonly string[];
}

/**
 * Arguments (after the program name) for GNU tar packing the directory `root` (a path as
 * the tar process sees it) into an uncompressed pax archive whose members are `.`, `./bin`...
 * in name order; the contents of EXCLUDED_CONTENT_DIRS are left out.
 */
export function rootTarArgs(root: string, opts: RootTarOptions = {}): string[] {
  return [
    '-C', root,
    '--sort=name',
    ...memberFormatArgs(opts.xattrs),
    ...(opts.excludeContent ?? EXCLUDED_CONTENT_DIRS).map((d) => `--exclude=./${d}/*`),
    '-cf', opts.file ?? '-',
    '.',
  ];
}

/** How every member is written: numeric owners, pax without atime/ctime, the `xattrs` kept. */
function memberFormatArgs(xattrs: readonly string[] = ['security.capability']): string[] {
  return [
    '--numeric-owner',
    '--format=pax',
    '--pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime',
    '--xattrs',
    ...xattrs.map((x) => `--xattrs-include=${x}`),
  ];
}

/**
 * Arguments for GNU tar writing exactly the members named in the file `listFile` (a path as
 * tar sees it; layer-list.ts writes it: `--directory=` lines and escaped names), in that
 * order, not descending into directories, to stdout, with the members written as
 * rootTarArgs writes them (file capabilities kept).
 */
export function listTarArgs(listFile: string): string[] {
  return ['--no-recursion', ...memberFormatArgs(), '-cf', '-', '-T', listFile];
}
