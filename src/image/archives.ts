/**
 * Single-file forms of an OCI layout (runtime-facts §7, layers-and-images.md Part B §2b):
 * - oci-archive: a tar of the layout (`oci-layout`, `index.json`, `blobs/`), written by GNU
 *   tar with sorted names, owner 0:0, mtime 0 and fixed modes, so equal layouts give equal
 *   archives; `skopeo`/`podman load` read it as `oci-archive:FILE`;
 * - docker-archive (what `docker load` and `podman load` accept): converted from the layout
 *   by `skopeo copy oci:DIR:REF docker-archive:FILE:NAME` (skopeo is the containers project's
 *   well-kept image mover, Debian package `skopeo`). The Docker format wants uncompressed
 *   layers and its own manifest.json; skopeo writes both and checks every blob's digest.
 * Both are written to a temporary file next to FILE and renamed into place.
 */
import { rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { checkProgram, hostProgram, runProgram } from './host-programs.js';

/** GNU tar arguments packing the layout `layoutDir` into `file` (pure). */
export function ociArchiveTarArgs(layoutDir: string, file: string): string[] {
  return [
    '-C', layoutDir, '--sort=name', '--format=ustar', '--numeric-owner', '--owner=0', '--group=0',
    '--mtime=@0', '--mode=u=rwX,go=rX', '-cf', file, 'oci-layout', 'index.json', 'blobs',
  ];
}

/** skopeo arguments converting image `refName` of `layoutDir` into a docker-archive `file` named `name` (pure). */
export function dockerArchiveSkopeoArgs(layoutDir: string, refName: string, file: string, name: string): string[] {
  return ['--insecure-policy', 'copy', '--quiet', `oci:${layoutDir}:${refName}`, `docker-archive:${file}:${name}`];
}

function tempNextTo(file: string): string {
  return join(dirname(file), `.${basename(file)}.tmp-${process.pid}`);
}

/**
 * Write the layout `layoutDir` as an oci-archive `file` (replaced if it exists). Throws
 * MissingToolError when tar is missing, VaggaError `image.archive-failed` (121) when it fails.
 */
export async function writeOciArchive(layoutDir: string, file: string): Promise<void> {
  const tar = hostProgram('tar', 'tar', 'it writes oci-archive files');
  const tmp = tempNextTo(file);
  try {
    checkProgram(await runProgram([tar, ...ociArchiveTarArgs(layoutDir, tmp)]), 'Writing the oci-archive with tar', 'image.archive-failed');
    await rename(tmp, file);
  } finally {
    await rm(tmp, { force: true });
  }
}

/**
 * The environment of skopeo: the user's, with `XDG_RUNTIME_DIR`-less users given an empty
 * auth file (skopeo otherwise fails reading /run/containers/<uid>/auth.json, Part B §1).
 */
export function skopeoEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  if (env.XDG_RUNTIME_DIR || env.REGISTRY_AUTH_FILE) return env;
  return { ...env, REGISTRY_AUTH_FILE: '/dev/null' };
}

/**
 * Convert image `refName` of the layout `layoutDir` into a docker-archive `file` (replaced
 * if it exists) whose image is named `name` (`repository:tag`). Throws MissingToolError
 * when skopeo is missing, VaggaError `image.archive-failed` (121) when it fails.
 */
export async function writeDockerArchive(layoutDir: string, refName: string, file: string, name: string): Promise<void> {
  const skopeo = hostProgram('skopeo', 'skopeo', 'it writes docker-archive images');
  const tmp = tempNextTo(file);
  await rm(tmp, { force: true });
  try {
    checkProgram(await runProgram([skopeo, ...dockerArchiveSkopeoArgs(layoutDir, refName, tmp, name)], skopeoEnv(process.env)), 'Writing the docker-archive with skopeo', 'image.archive-failed');
    await rename(tmp, file);
  } finally {
    await rm(tmp, { force: true });
  }
}
