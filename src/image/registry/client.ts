/**
 * A small OCI distribution client on Node's fetch (layers-and-images.md Part B §4, §5: the
 * subset of the API a build cache needs; no npm client was worth depending on):
 *  - manifests: HEAD (the cache probe) and GET with `Accept` for the OCI manifest, Docker
 *    v2s2 and both index types; from an index the linux/<arch> manifest is picked;
 *  - blobs: GET streamed through a SHA-256 check (the stream errors when the digest differs,
 *    before it ends); HEAD (skip pushing what the registry has); push as POST uploads/ →
 *    PATCH with the streamed body (`duplex: 'half'`, hashed while it goes) → PUT ?digest=;
 *  - manifest PUT;
 *  - auth: anonymous first, on 401 the WWW-Authenticate challenge is answered (auth.ts) and
 *    the request repeated once; the token is kept per scope.
 * Nothing is buffered whole except manifests and configs (small JSON). Errors are VaggaError
 * `registry.*` (121) naming the URL and the status.
 */
import { createHash } from 'node:crypto';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import type { ErrorCode } from '../../errors/codes.js';
import { VaggaError } from '../../errors/vagga-error.js';
import { answerChallenge, parseChallenge } from './auth.js';
import { formatRef, registryBaseUrl, type RegistryRef } from './reference.js';

export const MANIFEST_TYPES = {
  oci: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  docker: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
} as const;

const ACCEPT = [MANIFEST_TYPES.oci, MANIFEST_TYPES.docker, MANIFEST_TYPES.ociIndex, MANIFEST_TYPES.dockerList].join(', ');

/** A content descriptor (manifest layers, config, index entries). */
export interface BlobDescriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: { os?: string; architecture?: string; variant?: string };
}

/** An image manifest (OCI or Docker v2s2; same fields). */
export interface ImageManifest {
  schemaVersion: number;
  mediaType?: string;
  config: BlobDescriptor;
  layers: BlobDescriptor[];
}

/** A fetched manifest: the parsed document, its digest and the exact bytes. */
export interface FetchedManifest {
  manifest: ImageManifest;
  digest: string;
  mediaType: string;
  bytes: Buffer;
}

/** Options of RegistryClient. */
export interface ClientOptions {
  /** `insecure-registries` setting: hosts spoken to over plain HTTP besides loopback. */
  insecure?: readonly string[];
  /** Environment for credential files (auth.ts); default process.env. */
  env?: NodeJS.ProcessEnv;
  /** Node architecture picked from an index (default process.arch). */
  arch?: string;
  /** Abort all requests (timeouts, signals). */
  signal?: AbortSignal;
}

/** Node's arch name -> the OCI platform architecture. */
export function platformArch(arch: string = process.arch): string {
  return ({ x64: 'amd64', ia32: '386', arm64: 'arm64', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' } as Record<string, string>)[arch] ?? arch;
}

/** The sha256 digest of `bytes`. */
export function sha256Of(bytes: Uint8Array | string): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

function registryError(message: string, code: ErrorCode, hint?: string): VaggaError {
  return new VaggaError(message, { code, ...(hint ? { hint } : {}) });
}

/**
 * A stream that passes data through unchanged while hashing it; at the end it fails with
 * VaggaError `registry.digest-mismatch` when the SHA-256 is not `expected` (and, when
 * `size` is given, when the length differs). `onDigest` gets the digest when it matches.
 */
export function verifyingStream(expected: string, what: string, size?: number): Transform {
  const hash = createHash('sha256');
  let length = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, cb: TransformCallback) {
      hash.update(chunk);
      length += chunk.length;
      cb(null, chunk);
    },
    flush(cb: TransformCallback) {
      const got = `sha256:${hash.digest('hex')}`;
      if (got !== expected || (size !== undefined && size !== length)) {
        cb(registryError(`${what}: digest mismatch (expected ${expected}, got ${got}, ${length} bytes)`, 'registry.digest-mismatch',
          'The registry returned other content than its manifest names; the blob is refused.'));
        return;
      }
      cb();
    },
  });
}

/** A client for one repository of one registry. */
export class RegistryClient {
  readonly base: string;
  private readonly tokens = new Map<string, string>();

  constructor(readonly ref: Pick<RegistryRef, 'host' | 'repository'>, private readonly opts: ClientOptions = {}) {
    this.base = registryBaseUrl(ref.host, opts.insecure);
  }

  private url(path: string): string {
    return `${this.base}${this.ref.repository}/${path}`;
  }

  private scope(push: boolean): string {
    return `repository:${this.ref.repository}:${push ? 'pull,push' : 'pull'}`;
  }

  /**
   * fetch `url` with the token of the scope; on 401 answer the challenge and repeat once
   * (only when `init.body` can be sent again: not a stream). Network failures become
   * VaggaError `registry.unreachable`.
   */
  private async request(url: string, init: RequestInit & { duplex?: 'half' }, push = false): Promise<Response> {
    const scope = this.scope(push);
    const send = async () => {
      const headers = new Headers(init.headers);
      const token = this.tokens.get(scope);
      if (token) headers.set('authorization', token);
      try {
        return await fetch(url, { ...init, headers, signal: this.opts.signal, redirect: 'follow' } as RequestInit);
      } catch (err) {
        const cause = (err as { cause?: { code?: string; message?: string } }).cause;
        throw registryError(`Cannot reach the registry ${this.ref.host} (${init.method ?? 'GET'} ${url}): ${cause?.code ?? cause?.message ?? (err as Error).message}`,
          'registry.unreachable', 'Check that the registry runs and the URL is right; plain HTTP is used only for loopback hosts and the insecure-registries setting.');
      }
    };
    let res = await send();
    if (res.status === 401 && !(init.body instanceof ReadableStream) && !(init.body instanceof Readable)) {
      const challenge = parseChallenge(res.headers.get('www-authenticate'));
      await res.body?.cancel();
      const answer = challenge ? await answerChallenge(challenge, this.ref.host, scope, this.opts.env) : undefined;
      if (answer) {
        this.tokens.set(scope, answer);
        res = await send();
      }
    }
    return res;
  }

  private async failed(res: Response, what: string): Promise<VaggaError> {
    let detail = '';
    try {
      detail = (await res.text()).trim().slice(0, 300);
    } catch { /* body gone */ }
    const auth = res.status === 401 || res.status === 403;
    return registryError(`${what}: the registry ${this.ref.host} answered ${res.status} ${res.statusText}${detail ? ` (${detail})` : ''}`,
      auth ? 'registry.denied' : 'registry.http-error',
      auth ? 'Log in with `podman login` / `docker login` (credentials in auth.json or ~/.docker/config.json) or check the repository permissions.' : undefined);
  }

  /** HEAD the manifest `reference` (tag or digest): its digest, or undefined on 404. */
  async headManifest(reference: string): Promise<{ digest?: string; mediaType?: string } | undefined> {
    const res = await this.request(this.url(`manifests/${reference}`), { method: 'HEAD', headers: { accept: ACCEPT } });
    if (res.status === 404) return undefined;
    if (!res.ok) throw await this.failed(res, `HEAD manifest ${reference}`);
    return { digest: res.headers.get('docker-content-digest') ?? undefined, mediaType: res.headers.get('content-type') ?? undefined };
  }

  /**
   * GET the manifest `reference`; an index (OCI or Docker list) is resolved to its
   * linux/<arch> entry. Undefined on 404. Throws `registry.digest-mismatch` when a manifest
   * fetched by digest (or with a Docker-Content-Digest header) has other bytes,
   * `registry.no-platform` when an index has no entry for this platform,
   * `registry.bad-manifest` for documents that are not image manifests.
   */
  async getManifest(reference: string): Promise<FetchedManifest | undefined> {
    const res = await this.request(this.url(`manifests/${reference}`), { headers: { accept: ACCEPT } });
    if (res.status === 404) return undefined;
    if (!res.ok) throw await this.failed(res, `GET manifest ${reference}`);
    const bytes = Buffer.from(await res.arrayBuffer());
    const digest = sha256Of(bytes);
    const claimed = reference.startsWith('sha256:') ? reference : res.headers.get('docker-content-digest');
    if (claimed && claimed !== digest) {
      throw registryError(`Manifest ${reference} from ${this.ref.host}: digest mismatch (expected ${claimed}, got ${digest})`, 'registry.digest-mismatch');
    }
    let doc: ImageManifest & { manifests?: BlobDescriptor[] };
    try {
      doc = JSON.parse(bytes.toString('utf8'));
    } catch {
      throw registryError(`Manifest ${reference} from ${this.ref.host} is not JSON`, 'registry.bad-manifest');
    }
    const mediaType = doc.mediaType ?? res.headers.get('content-type')?.split(';')[0] ?? MANIFEST_TYPES.oci;
    if (mediaType === MANIFEST_TYPES.ociIndex || mediaType === MANIFEST_TYPES.dockerList || Array.isArray(doc.manifests)) {
      const arch = platformArch(this.opts.arch);
      const entry = (doc.manifests ?? []).find((m) => m.platform?.os === 'linux' && m.platform.architecture === arch);
      if (!entry) {
        throw registryError(`${formatRef({ ...this.ref, tag: reference })} has no image for linux/${arch}`, 'registry.no-platform');
      }
      return this.getManifest(entry.digest);
    }
    if (!doc.config?.digest || !Array.isArray(doc.layers)) {
      throw registryError(`Manifest ${reference} from ${this.ref.host} is not an image manifest (media type ${mediaType})`, 'registry.bad-manifest');
    }
    return { manifest: doc, digest, mediaType, bytes };
  }

  /**
   * GET blob `desc` as a stream that fails (VaggaError `registry.digest-mismatch`) when its
   * content does not hash to `desc.digest` or has another size. Throws for HTTP errors.
   */
  async blobStream(desc: Pick<BlobDescriptor, 'digest' | 'size'>): Promise<Readable> {
    const res = await this.request(this.url(`blobs/${desc.digest}`), {});
    if (!res.ok || !res.body) throw await this.failed(res, `GET blob ${desc.digest}`);
    const body = Readable.fromWeb(res.body as unknown as WebReadableStream<Uint8Array>);
    const check = verifyingStream(desc.digest, `Blob ${desc.digest} from ${this.ref.host}`, desc.size);
    body.on('error', (err) => check.destroy(err));
    return body.pipe(check);
  }

  /** GET a small blob (an image config) whole, checked against its digest. */
  async blobBytes(desc: Pick<BlobDescriptor, 'digest' | 'size'>): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const c of await this.blobStream(desc)) chunks.push(c as Buffer);
    return Buffer.concat(chunks);
  }

  /** Whether the registry has blob `digest` (HEAD). */
  async hasBlob(digest: string): Promise<boolean> {
    const res = await this.request(this.url(`blobs/${digest}`), { method: 'HEAD' }, true);
    if (res.status === 404) return false;
    if (!res.ok) throw await this.failed(res, `HEAD blob ${digest}`);
    return true;
  }

  /**
   * Upload `body` as a blob: POST uploads/ → PATCH (streamed) → PUT ?digest=<sha256 of what
   * was sent>. With `digest` given, a blob the registry has already is not sent (`body` is
   * then destroyed). Resolves with the digest and size; throws `registry.digest-mismatch`
   * when `digest` was given and the data hashes otherwise.
   */
  async pushBlob(body: Readable, digest?: string): Promise<{ digest: string; size: number; skipped: boolean }> {
    if (digest && await this.hasBlob(digest)) {
      body.destroy();
      return { digest, size: 0, skipped: true };
    }
    const start = await this.request(`${this.base}${this.ref.repository}/blobs/uploads/`, { method: 'POST', headers: { 'content-length': '0' } }, true);
    if (start.status !== 202) throw await this.failed(start, 'Start a blob upload');
    await start.body?.cancel();
    let location = new URL(start.headers.get('location') ?? '', this.base).toString();
    const hash = createHash('sha256');
    let size = 0;
    const counted = body.pipe(new Transform({
      transform(chunk: Buffer, _e, cb) {
        hash.update(chunk);
        size += chunk.length;
        cb(null, chunk);
      },
    }));
    body.on('error', (err) => counted.destroy(err));
    const patch = await this.request(location, {
      method: 'PATCH',
      headers: { 'content-type': 'application/octet-stream' },
      body: Readable.toWeb(counted) as unknown as ReadableStream,
      duplex: 'half',
    }, true);
    if (patch.status !== 202) throw await this.failed(patch, 'Upload a blob');
    await patch.body?.cancel();
    location = new URL(patch.headers.get('location') ?? location, this.base).toString();
    const got = `sha256:${hash.digest('hex')}`;
    if (digest && digest !== got) {
      throw registryError(`The uploaded data hashes to ${got}, not ${digest}`, 'registry.digest-mismatch');
    }
    const put = new URL(location);
    put.searchParams.set('digest', got);
    const done = await this.request(put.toString(), { method: 'PUT', headers: { 'content-length': '0' } }, true);
    if (done.status !== 201) throw await this.failed(done, `Finish the upload of ${got}`);
    await done.body?.cancel();
    return { digest: got, size, skipped: false };
  }

  /** Upload small bytes (a config) as a blob, skipping it when present. */
  async pushBytes(bytes: Buffer): Promise<{ digest: string; size: number }> {
    const digest = sha256Of(bytes);
    await this.pushBlob(Readable.from([bytes]), digest);
    return { digest, size: bytes.length };
  }

  /** PUT manifest `bytes` (of `mediaType`) as `tag`; resolves with its digest. */
  async putManifest(tag: string, bytes: Buffer, mediaType: string): Promise<string> {
    const res = await this.request(this.url(`manifests/${tag}`), { method: 'PUT', headers: { 'content-type': mediaType }, body: new Uint8Array(bytes) }, true);
    if (res.status !== 201) throw await this.failed(res, `PUT manifest ${tag}`);
    await res.body?.cancel();
    return res.headers.get('docker-content-digest') ?? sha256Of(bytes);
  }
}
