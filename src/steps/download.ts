/**
 * `!Download {url, path, mode: 0o644, sha256}` (vagga-inventory.md §1.4 "Generic
 * execution"): put one file into the container (a `path` under /work: into the project,
 * like Vagga's builder, which has the project mounted there). http(s) URLs are fetched on
 * the host in `prepare` into the shared download cache (src/storage/downloads.ts); a URL
 * starting with `.` (or any relative path) names a file in the project. Hash: `hash` = sha256 if given,
 * else `url`; then `path`; then `mode` in decimal.
 *
 * Also exports the source-file resolution and the step factory (sourceFileStep) shared
 * with `!Tar`, `!Unzip` and `!TarInstall`.
 */
import { existsSync } from 'node:fs';
import { chmod, copyFile, mkdir } from 'node:fs/promises';
import { dirname, isAbsolute } from 'node:path';
import { def, int, opt, str, struct, type Out } from '../config/schema.js';
import { containerPath } from '../config/container-path.js';
import { resolveProjectPath } from '../config/project-path.js';
import { VaggaError } from '../errors/vagga-error.js';
import { checkSha256, downloadCachePath, fetchToCache, isRemoteUrl } from '../storage/downloads.js';
import type { Digest } from '../version/digest.js';
import type { BuildContext, PrepareContext, StepDef } from './step.js';
import { resolveBuildPath } from './root-path.js';

/** Where a step's `url` points. */
export type SourceKind = 'remote' | 'project';

/**
 * Classify a `url` parameter: http(s) -> remote; a relative path (`./x`, `x`) -> a file in
 * the project. Throws VaggaError (121) for `/volumes/...` (external volumes are not
 * supported in builds yet), other absolute paths and other URL schemes.
 */
export function sourceKind(url: string, tag: string): SourceKind {
  if (isRemoteUrl(url)) return 'remote';
  if (/^[a-z][a-z0-9+.-]*:/i.test(url)) {
    throw new VaggaError(`!${tag}: unsupported URL scheme in ${JSON.stringify(url)}`, {
      code: 'build.bad-url', hint: 'Use an http:// or https:// URL, or a path relative to the project (./file).',
    });
  }
  if (isAbsolute(url)) {
    throw new VaggaError(`!${tag}: absolute path ${JSON.stringify(url)} is not supported`, {
      code: 'build.bad-url',
      hint: url.startsWith('/volumes/')
        ? 'External volumes are not supported in builds yet; copy the file into the project and use ./file.'
        : 'Use a path relative to the project directory, e.g. ./file.tar.gz.',
    });
  }
  return 'project';
}

/** The error for a project file a step reads that is not there (Vagga: the step fails). */
function projectFileMissing(tag: string, url: string, file: string): VaggaError {
  return new VaggaError(`!${tag}: file ${JSON.stringify(url)} does not exist in the project (${file})`, {
    code: 'build.source-missing', hint: 'Paths that do not start with http:// or https:// are relative to the project directory.',
  });
}

/**
 * Host side: make a step's source available (download into the cache, or check a project
 * file) and verify the sha256 prefix. A project file must resolve inside the project
 * (resolveProjectPath: a symlink out of it is refused here already). When it does not exist
 * yet and an earlier step of this build (`ctx.precedingSteps`) may make it (a `!Download`
 * or `!Sh` writing into /work, as in Vagga's own `!Download` + `!Tar ./file` example), the
 * check waits for the build (sourcePath, sourceFileStep), which reads the file when it is
 * used; a missing file of a first step fails here. Throws VaggaError (121).
 */
export async function prepareSource(tag: string, url: string, sha256: string | undefined, ctx: PrepareContext): Promise<void> {
  if (sourceKind(url, tag) === 'remote') {
    await fetchToCache(ctx.cacheDir, url, sha256, {
      signal: ctx.signal,
      info: (m) => ctx.log.info(m),
      progress: (done, total) => ctx.log.progress?.({
        count: { done, total, unit: 'bytes' }, fraction: total ? done / total : undefined,
      }),
    });
    return;
  }
  const file = resolveProjectPath(ctx.projectRoot, url, { key: 'url' });
  if (!existsSync(file)) {
    if ((ctx.precedingSteps?.length ?? 0) > 0) return;
    throw projectFileMissing(tag, url, file);
  }
  await checkSha256(file, sha256, url);
}

/**
 * Builder side: the path of a step's source file as the builder sees it: the cached
 * download (prepared before), or the project file resolved now, when it is read, with its
 * symlinks followed in the builder's view (it must stay inside the project, /work there:
 * ProjectPathError otherwise). Throws VaggaError (121) when it is missing.
 */
export function sourcePath(tag: string, url: string, sha256: string | undefined, ctx: BuildContext): string {
  if (sourceKind(url, tag) === 'project') {
    const file = resolveProjectPath(ctx.projectRoot, url, { key: 'url' });
    if (!existsSync(file)) throw projectFileMissing(tag, url, file);
    return file;
  }
  const file = downloadCachePath(ctx.cacheDir, url, sha256);
  if (!existsSync(file)) {
    throw new VaggaError(`!${tag}: ${JSON.stringify(url)} is not available in the build (expected at ${file})`, {
      code: 'build.source-missing',
    });
  }
  return file;
}

/** Hash fields shared by `!Tar`/`!Download`: `hash` = sha256 when given, else `url`. */
export function hashSource(url: string, sha256: string | undefined, digest: Digest): void {
  if (sha256 !== undefined) digest.field('hash', sha256);
  else digest.field('url', url);
}

/** Parameters of a step whose input is one source file (`url`, checked by `sha256`). */
export interface SourceFileParams {
  url: string;
  sha256?: string;
}

/** What differs between source-file steps (see sourceFileStep). */
export interface SourceFileStepSpec<P extends SourceFileParams> {
  tag: string;
  schema: StepDef<P>['schema'];
  /** Hash fields after `hash`/`url` (e.g. `path` and `mode`), in Vagga's order. */
  hashFields(params: P, digest: Digest): void;
  /** Put the source (a file the builder can read at `src`) into the root. */
  install(params: P, src: string, ctx: BuildContext): Promise<void>;
}

/**
 * A StepDef for a step whose input is one file from `url` (`!Download`, `!Tar`, `!Unzip`,
 * `!TarInstall`): its hash is hashSource, then `hashFields`; `prepare` fetches or checks the
 * source on the host (prepareSource); `build` hands its builder-side path (sourcePath) to
 * `install`, after checking a project file's `sha256` again (an earlier step may have made
 * or changed it since `prepare`).
 */
export function sourceFileStep<P extends SourceFileParams>(spec: SourceFileStepSpec<P>): StepDef<P> {
  return {
    tag: spec.tag,
    schema: spec.schema,
    hash(p, digest) {
      hashSource(p.url, p.sha256, digest);
      spec.hashFields(p, digest);
    },
    async prepare(p, ctx) {
      await prepareSource(spec.tag, p.url, p.sha256, ctx);
    },
    async build(p, ctx) {
      const src = sourcePath(spec.tag, p.url, p.sha256, ctx);
      if (sourceKind(p.url, spec.tag) === 'project') await checkSha256(src, p.sha256, p.url);
      await spec.install(p, src, ctx);
    },
  };
}

const downloadSchema = struct({
  url: str(),
  path: containerPath(),
  mode: def(int({ min: 0, max: 0o1777 }), 0o644),
  sha256: opt(str()),
});

/** Validated `!Download` parameters. */
export type DownloadParams = Out<typeof downloadSchema>;

const download: StepDef<DownloadParams> = { ...sourceFileStep<DownloadParams>({
  tag: 'Download',
  schema: downloadSchema,
  hashFields(p, digest) {
    digest.field('path', p.path);
    digest.field('mode', p.mode);
  },
  async install(p, src, ctx) {
    // Under /work: into the project, as in Vagga's builder (the project is mounted there),
    // so a later step can read it (`!Tar ./file`); it must stay inside the project.
    const dest = resolveBuildPath(p.path, ctx);
    await mkdir(dirname(dest), { recursive: true, mode: 0o755 });
    await copyFile(src, dest);
    await chmod(dest, p.mode);
  },
}), hashReadsOnlyParams: true };

export const steps: StepDef<any>[] = [download];
