/**
 * `!OciImage REF` (not in Vagga; issue 10 part 3): start the container from an OCI or Docker
 * image. REF is `docker://HOST[:PORT]/REPO[:TAG][@sha256:HEX]`, `oci:DIR[:TAG]` (an OCI image
 * layout inside the project) or `oci-archive:FILE[:TAG]` (a tar of one); see oci-image-ref.ts.
 *
 * Pinning: the version hash holds the image's manifest digest, never a bare tag. A digest
 * written in REF is used as is; a registry tag is resolved once, on the host, by the first
 * build (`skopeo inspect --raw`, the sha256 of the manifest bytes the registry serves) and
 * recorded in the project's `vagga-images.lock`, which the user commits; later builds and
 * other machines use the recorded digest even when the tag moves, until the line is deleted.
 * Until then the version is unknown before building (exit 29 from `_version_hash`). For an
 * `oci:` layout or `oci-archive:` file the digest is read from its index.json.
 *
 * Prepare (host): `skopeo copy SOURCE oci:<cache>/oci/sha256-<hex>:img` (skopeo checks every
 * blob against its digest), once per digest; the `oci` cache entry is trusted and read-only
 * in the builder. Build (builder, namespace root): `umoci raw unpack --image LAYOUT:img ROOT`,
 * which applies whiteouts and opaque directories, keeps owners, modes and file capabilities,
 * and resolves every path inside ROOT (a symlink from one layer cannot lead a later layer's
 * file out of the root). The image config's `Env` becomes the environment of the following
 * setup steps (as `!Env` would; also replayed through `!Container`), not the runtime
 * environment: that stays the container's `environ`, as for every vagga container.
 * Hash: `image` (REF without digest), `digest`.
 */
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, readFileSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { custom, fail, str } from '../config/schema.js';
import { VaggaError, type ErrorCode } from '../errors/vagga-error.js';
import { spawnHost } from '../sandbox/host-spawn.js';
import type { BuildContext, BuildLog, PrepareContext, StepDef } from './step.js';
import {
  PIN_FILE, archiveDigest, formatPins, isLoopbackHost, layoutDigest, layoutPath, parseImageRef, pinFilePath, readPins, type ImageRef,
} from './oci-image-ref.js';

/** Top-level cache entry holding pulled images, one OCI layout per manifest digest. */
export const OCI_CACHE_ENTRY = 'oci';

/** The tag each cached layout gives its one image. */
const CACHE_TAG = 'img';

const refSchema = custom<string>('an image reference', (node, ctx) => {
  const text = str().parse(node, ctx);
  const ref = parseImageRef(text);
  if (typeof ref === 'string') fail(ctx, node, ref, 'Write !OciImage docker://HOST[:PORT]/REPO[:TAG][@sha256:...], oci:DIR[:TAG] or oci-archive:FILE[:TAG].');
  return text;
});

function ref(text: string): ImageRef {
  const r = parseImageRef(text);
  if (typeof r === 'string') throw new VaggaError(r, { code: 'build.bad-url' });
  return r;
}

/**
 * The manifest digest REF is pinned to in the project at `projectRoot`, or undefined when
 * a registry tag has not been resolved yet. Reads the pin file or the `oci:` layout (sync).
 */
export function pinnedDigest(text: string, projectRoot: string): string | undefined {
  const r = ref(text);
  if (r.kind !== 'docker') {
    const path = layoutPath(projectRoot, r);
    return r.kind === 'oci' ? layoutDigest(path, r.tag, r.path) : archiveDigest(path, r.tag, r.path);
  }
  return r.digest ?? readPins(projectRoot).get(r.name);
}

/** The cache layout directory of the image with manifest `digest`. */
export function cachedLayout(cacheDir: string, digest: string): string {
  return join(cacheDir, OCI_CACHE_ENTRY, digest.replace(':', '-'));
}

/** Environment for skopeo: it needs XDG_RUNTIME_DIR or REGISTRY_AUTH_FILE as an ordinary user (reference Part B §1). */
function skopeoEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  if (!env.XDG_RUNTIME_DIR && !env.REGISTRY_AUTH_FILE) env.REGISTRY_AUTH_FILE = join(homedir(), '.config/containers/auth.json');
  return env;
}

/**
 * Run a host program, its output into `log` (stdout collected and returned when `capture`).
 * Rejects with VaggaError `code` on failure, naming the program's last stderr line.
 */
function runProgram(program: string, args: string[], log: BuildLog, code: ErrorCode, hint: string, options: { capture?: boolean; env?: NodeJS.ProcessEnv; signal?: AbortSignal } = {}): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawnHost(program, args, { stdio: ['ignore', 'pipe', 'pipe'], env: options.env ?? process.env });
    const out: Buffer[] = [];
    let lastErr = '';
    const onAbort = () => child.kill('SIGTERM');
    options.signal?.addEventListener('abort', onAbort, { once: true });
    child.stdout!.on('data', (b: Buffer) => {
      if (options.capture) out.push(b);
      else if (log.output) log.output(b, 'stdout');
    });
    child.stderr!.on('data', (b: Buffer) => {
      const lines = b.toString().trim().split('\n');
      lastErr = lines[lines.length - 1] ?? lastErr;
      if (log.output) log.output(b, 'stderr');
      else process.stderr.write(b);
    });
    child.on('error', (e) => reject(new VaggaError(`!OciImage: cannot run ${program}: ${e.message}`, { code, hint })));
    child.on('close', (status, signal) => {
      options.signal?.removeEventListener('abort', onAbort);
      if (status === 0) resolve(Buffer.concat(out));
      else reject(new VaggaError(`!OciImage: ${program} ${args[0]} failed (${signal ?? `exit code ${status}`})${lastErr ? `: ${lastErr}` : ''}`, { code, hint }));
    });
  });
}

const PULL_HINT = 'skopeo (Debian package skopeo) pulls the image; check the reference, the network and, for a private registry, `skopeo login HOST`.';

/** skopeo's TLS flag for `host` (plain HTTP only on loopback), as `--<prefix>tls-verify=false`, or none. */
function tlsArgs(r: ImageRef, prefix: string): string[] {
  return r.kind === 'docker' && isLoopbackHost(r.host) ? [`--${prefix}tls-verify=false`] : [];
}

/**
 * Resolve a registry tag to the digest of the manifest it names now: the sha256 of the
 * bytes `skopeo inspect --raw` prints (the manifest or image index as served).
 */
async function resolveTag(r: Extract<ImageRef, { kind: 'docker' }>, ctx: PrepareContext): Promise<string> {
  const raw = await runProgram('skopeo', ['inspect', '--raw', ...tlsArgs(r, ''), r.name], ctx.log, 'build.image-pull-failed', PULL_HINT,
    { capture: true, env: skopeoEnv(), signal: ctx.signal });
  return `sha256:${createHash('sha256').update(raw).digest('hex')}`;
}

/**
 * Record `name -> digest` in the project's pin file: written to a temp file and renamed over
 * it, so that a symlink planted at its name is replaced, never followed.
 */
async function writePin(projectRoot: string, name: string, digest: string): Promise<void> {
  const path = pinFilePath(projectRoot);
  const pins = readPins(projectRoot);
  pins.set(name, digest);
  const tmp = join(dirname(path), `.${PIN_FILE}.${process.pid}.tmp`);
  try {
    await writeFile(tmp, formatPins(pins), { mode: 0o644, flag: 'wx' });
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw new VaggaError(`Cannot write ${PIN_FILE}: ${(e as Error).message}`, { code: 'build.image-pin-file' });
  }
}

/** Host side: make sure the image REF is pinned and its layout is in the cache. */
async function prepare(text: string, ctx: PrepareContext): Promise<void> {
  const r = ref(text);
  let digest = pinnedDigest(text, ctx.projectRoot);
  if (digest === undefined && r.kind === 'docker') {
    digest = await resolveTag(r, ctx);
    await writePin(ctx.projectRoot, r.name, digest);
    ctx.log.warn(`!OciImage: ${r.name} resolved to ${digest}; pinned in ${PIN_FILE} (commit it; delete the line to follow the tag again)`);
  }
  const dest = cachedLayout(ctx.cacheDir, digest!);
  if (existsSync(join(dest, 'index.json'))) return;
  const source = r.kind === 'docker' ? `docker://${r.host}/${r.repo}@${digest}` : `${r.kind}:${layoutPath(ctx.projectRoot, r)}${r.tag ? `:${r.tag}` : ''}`;
  ctx.log.info(`Pulling ${r.kind === 'docker' ? source : r.name} (${digest})`);
  await mkdir(join(ctx.cacheDir, OCI_CACHE_ENTRY), { recursive: true });
  // `<final>.<pid>.tmp`: a killed build's leftover is removed by the next one (storage/cache-temps.ts).
  const tmp = `${dest}.${process.pid}.tmp`;
  await rm(tmp, { recursive: true, force: true });
  try {
    await runProgram('skopeo', ['copy', ...tlsArgs(r, 'src-'), source, `oci:${tmp}:${CACHE_TAG}`], ctx.log, 'build.image-pull-failed', PULL_HINT,
      { env: skopeoEnv(), signal: ctx.signal });
    if (r.kind !== 'docker') {
      // The cache entry is named by the digest and shared with registry pulls of it: what a
      // project's own layout or archive put there must be that manifest, byte for byte
      // (hashed here; skopeo checked the blobs it names).
      const got = copiedManifestDigest(tmp);
      if (got !== digest) {
        throw new VaggaError(`!OciImage: the copy of ${r.name} holds manifest ${got ?? '(unreadable)'}, not the pinned ${digest}`, {
          code: 'build.image-pull-failed',
          hint: 'The layout changed during the build (run it again), or its tag names a multi-platform index: tag the platform\'s manifest instead.',
        });
      }
    }
    try {
      await rename(tmp, dest);
    } catch (e) {
      // Another build stored the same digest meanwhile: keep that one.
      if (!existsSync(join(dest, 'index.json'))) throw e;
    }
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

/**
 * The sha256 of the manifest bytes the cache tag names in the layout `dir`, computed from
 * the blob file (undefined when the layout cannot be read, or the tag's descriptor does not
 * match the file).
 */
function copiedManifestDigest(dir: string): string | undefined {
  try {
    const named = layoutDigest(dir, CACHE_TAG, 'the copied layout');
    const bytes = readFileSync(join(dir, 'blobs', 'sha256', named.slice('sha256:'.length)));
    const actual = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
    return actual === named ? actual : undefined;
  } catch {
    return undefined;
  }
}

/** Read a blob of the OCI layout `dir` by digest (sha256 only), parsed as JSON. */
function readBlobJson(dir: string, digest: unknown): any {
  if (typeof digest !== 'string' || !/^sha256:[0-9a-f]{64}$/.test(digest)) throw new Error(`bad digest ${JSON.stringify(digest)}`);
  return JSON.parse(readFileSync(join(dir, 'blobs', 'sha256', digest.slice(7)), 'utf8'));
}

/**
 * The image config's `Env` (`K=V` entries) of the cached layout `dir`, as a record; empty
 * when the layout or its config cannot be read.
 */
export function imageEnv(dir: string): Record<string, string> {
  try {
    const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8'));
    const desc = (index.manifests ?? []).find((m: any) => m.annotations?.['org.opencontainers.image.ref.name'] === CACHE_TAG) ?? index.manifests?.[0];
    const manifest = readBlobJson(dir, desc?.digest);
    const config = readBlobJson(dir, manifest?.config?.digest);
    const env: Record<string, string> = {};
    for (const e of config?.config?.Env ?? []) {
      if (typeof e !== 'string') continue;
      const eq = e.indexOf('=');
      if (eq > 0) env[e.slice(0, eq)] = e.slice(eq + 1);
    }
    return env;
  } catch {
    return {};
  }
}

/** The builder-side layout of REF (prepared before). Throws VaggaError when it is missing. */
function builtLayout(text: string, ctx: BuildContext): { digest: string; dir: string } {
  const digest = pinnedDigest(text, ctx.projectRoot);
  const dir = digest === undefined ? undefined : cachedLayout(ctx.cacheDir, digest);
  if (digest === undefined || dir === undefined || !existsSync(join(dir, 'index.json'))) {
    throw new VaggaError(`!OciImage: ${text} was not pulled before the build${digest ? ` (expected ${dir})` : ''}`, { code: 'build.image-pull-failed' });
  }
  return { digest, dir };
}

function applyEnv(text: string, ctx: BuildContext): void {
  const digest = pinnedDigest(text, ctx.projectRoot);
  if (digest === undefined) return;
  Object.assign(ctx.env, imageEnv(cachedLayout(ctx.cacheDir, digest)));
}

const ociImage: StepDef<string> = {
  tag: 'OciImage',
  schema: refSchema,
  // The layer is the image named by its digest (fed to the hash); nothing else of the project is read.
  projectFree: () => true,
  hash(text, digest, ctx) {
    const r = ref(text);
    const pinned = pinnedDigest(text, ctx.projectRoot)
      ?? ctx.unknown(`!OciImage: ${r.name} is not pinned yet: the next build resolves the tag and records its digest in ${PIN_FILE}`);
    digest.field('image', r.name);
    digest.field('digest', pinned);
  },
  prepare: (text, ctx) => prepare(text, ctx),
  async build(text, ctx) {
    const { digest, dir } = builtLayout(text, ctx);
    ctx.log.info(`Unpacking ${ref(text).name} (${digest})`);
    if (lstatSync(ctx.root).isSymbolicLink()) throw new VaggaError('!OciImage: the root is a symlink', { code: 'build.image-unpack-failed' });
    await runProgram('umoci', ['raw', 'unpack', '--image', `${dir}:${CACHE_TAG}`, ctx.root], ctx.log, 'build.image-unpack-failed',
      'umoci (Debian package umoci) unpacks the image inside the user namespace; see its message above.');
    Object.assign(ctx.env, imageEnv(dir));
  },
  replay: applyEnv,
};

/** The `!OciImage` step. */
export const steps: StepDef<any>[] = [ociImage];
