/**
 * Image references of `!OciImage` and the pin file that records what a tag resolved to
 * (issue 10 part 3). Pure parsing plus small synchronous file reads; no network.
 *
 * A reference is `docker://HOST[:PORT]/REPO[:TAG][@sha256:HEX]` (a registry; HOST must be
 * given, there is no default registry) or `oci:DIR[:TAG]` (an OCI image layout inside the
 * project). The pin file `vagga-images.lock` in the project holds one line per tag that
 * vagga resolved: `<reference without digest> sha256:<hex>`; `#` starts a comment.
 */
import { closeSync, fstatSync, lstatSync, openSync, readdirSync, readFileSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { resolveProjectPath } from '../config/project-path.js';
import { VaggaError } from '../errors/vagga-error.js';

/** Name of the pin file (project root) that records the digest each tag resolved to. */
export const PIN_FILE = 'vagga-images.lock';

/** A parsed `!OciImage` reference. */
export type ImageRef =
  | {
    kind: 'docker';
    /** `HOST[:PORT]` as written (lowercase). */
    host: string;
    /** Repository path, e.g. `library/debian`. */
    repo: string;
    tag?: string;
    /** `sha256:<64 hex>` when written in the reference. */
    digest?: string;
    /** The reference without its digest (`docker://HOST/REPO:TAG`): the pin file's key. */
    name: string;
  }
  | {
    /** A layout directory (`oci:`) or a tar of one (`oci-archive:`) in the project. */
    kind: 'oci' | 'oci-archive';
    /** Path as written (relative to the project). */
    path: string;
    tag?: string;
    name: string;
  };

const HOST_RE = /^(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*|\[[0-9a-f:]+\])(?::[0-9]{1,5})?$/;
const REPO_RE = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;
const TAG_RE = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const DIGEST_RE = /^sha256:[0-9a-f]{64}$/;

/** True when `digest` is `sha256:` and 64 lowercase hex digits. */
export function isDigest(digest: string): boolean {
  return DIGEST_RE.test(digest);
}

/**
 * Parse `text` as an image reference. Returns the reference, or a sentence saying what is
 * wrong (for the config error). Pure.
 */
export function parseImageRef(text: string): ImageRef | string {
  if (text.startsWith('docker://')) {
    let rest = text.slice('docker://'.length);
    let digest: string | undefined;
    const at = rest.indexOf('@');
    if (at >= 0) {
      digest = rest.slice(at + 1);
      rest = rest.slice(0, at);
      if (!isDigest(digest)) return `Image digest ${JSON.stringify(digest)} is not sha256: and 64 lowercase hex digits`;
    }
    const slash = rest.indexOf('/');
    if (slash < 0) return `Image ${JSON.stringify(text)} names no registry host: write docker://HOST[:PORT]/REPO[:TAG]`;
    const host = rest.slice(0, slash);
    let repo = rest.slice(slash + 1);
    if (!HOST_RE.test(host)) return `Registry host ${JSON.stringify(host)} is not a host name, IP address or [IPv6] address with an optional port`;
    let tag: string | undefined;
    const colon = repo.lastIndexOf(':');
    if (colon >= 0) {
      tag = repo.slice(colon + 1);
      repo = repo.slice(0, colon);
      if (!TAG_RE.test(tag)) return `Image tag ${JSON.stringify(tag)} is not a valid tag`;
    }
    if (!REPO_RE.test(repo)) return `Repository ${JSON.stringify(repo)} is not a valid repository name (lowercase letters, digits, separators . _ - and /)`;
    if (tag === undefined && digest === undefined) tag = 'latest';
    const name = `docker://${host}/${repo}${tag !== undefined ? `:${tag}` : ''}`;
    return { kind: 'docker', host, repo, ...(tag !== undefined ? { tag } : {}), ...(digest ? { digest } : {}), name };
  }
  const local = text.startsWith('oci:') ? 'oci' : text.startsWith('oci-archive:') ? 'oci-archive' : undefined;
  if (local !== undefined) {
    let path = text.slice(local.length + 1);
    let tag: string | undefined;
    const colon = path.lastIndexOf(':');
    if (colon >= 0) {
      tag = path.slice(colon + 1);
      path = path.slice(0, colon);
      if (!TAG_RE.test(tag)) return `Image tag ${JSON.stringify(tag)} is not a valid tag`;
    }
    if (path === '') return `Image ${JSON.stringify(text)} names no ${local === 'oci' ? 'directory: write oci:DIR[:TAG]' : 'file: write oci-archive:FILE[:TAG]'}`;
    if (path.includes(':')) return `Image layout path ${JSON.stringify(path)} may not contain ":" (skopeo reads it as the tag separator)`;
    if (path.startsWith('/')) return `Image layout ${JSON.stringify(path)} must be a path relative to the project`;
    return { kind: local, path, ...(tag !== undefined ? { tag } : {}), name: text };
  }
  return `Image ${JSON.stringify(text)} has an unsupported transport: use docker://HOST[:PORT]/REPO[:TAG][@sha256:...], oci:DIR[:TAG] or oci-archive:FILE[:TAG]`;
}

/** True for registry hosts on the loopback interface (plain HTTP is allowed only there). */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/:[0-9]+$/, '');
  return h === 'localhost' || h === '[::1]' || /^127\.[0-9]+\.[0-9]+\.[0-9]+$/.test(h);
}

/** Parse the pin file's text: reference name -> digest (malformed lines are ignored). Pure. */
export function parsePins(text: string): Map<string, string> {
  const pins = new Map<string, string>();
  for (const line of text.split('\n')) {
    const t = line.replace(/#.*/, '').trim();
    if (t === '') continue;
    const [name, digest, extra] = t.split(/\s+/);
    if (name && digest && extra === undefined && isDigest(digest)) pins.set(name, digest);
  }
  return pins;
}

/** The pin file's text for `pins` (sorted by name, with a header comment). Pure. */
export function formatPins(pins: ReadonlyMap<string, string>): string {
  const lines = [...pins.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([n, d]) => `${n} ${d}`);
  return `# Image digests vagga resolved for !OciImage tags. Commit this file; delete a line to\n` +
    `# resolve that tag again on the next build.\n${lines.join('\n')}\n`;
}

/**
 * Host path of the pin file of the project at `projectRoot`: refused (ProjectPathError) when
 * it is a symlink that leads out of the project.
 */
export function pinFilePath(projectRoot: string): string {
  return resolveProjectPath(projectRoot, PIN_FILE, { key: PIN_FILE });
}

/** The pins recorded in the project (empty when the pin file does not exist). Throws VaggaError when it cannot be read. */
export function readPins(projectRoot: string): Map<string, string> {
  const path = pinFilePath(projectRoot);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
    throw new VaggaError(`Cannot read ${PIN_FILE}: ${(e as Error).message}`, { code: 'build.image-pin-file' });
  }
  return parsePins(text);
}

/**
 * The host path of an `oci:` layout or `oci-archive:` file (inside the project; a layout
 * holding symlinks is refused). Throws ProjectPathError / VaggaError.
 */
export function layoutPath(projectRoot: string, ref: Extract<ImageRef, { kind: 'oci' | 'oci-archive' }>): string {
  const dir = resolveProjectPath(projectRoot, ref.path, { key: 'image' });
  if (dir.includes(':')) {
    throw new VaggaError(`!OciImage: the image layout's path ${JSON.stringify(dir)} contains ":", which skopeo cannot read`, {
      code: 'build.bad-url', hint: 'Move the project (or the layout) to a path without ":".',
    });
  }
  if (ref.kind === 'oci') refuseSymlinks(dir, ref.path);
  return dir;
}

/**
 * Refuse an OCI layout holding symlinks (index.json or a blob leading to a host file): vagga
 * reads only the project's own files. Walks `dir` (lstat); throws VaggaError.
 */
function refuseSymlinks(dir: string, shown: string): void {
  const walk = (d: string, rel: string) => {
    let names: string[];
    try {
      names = readdirSync(d);
    } catch (e) {
      throw new VaggaError(`!OciImage: cannot read the image layout ${JSON.stringify(shown)}: ${(e as Error).message}`, {
        code: 'build.source-missing', hint: 'oci:DIR names an OCI image layout directory (oci-layout, index.json, blobs/) in the project.',
      });
    }
    for (const n of names) {
      const p = join(d, n);
      const st = lstatSync(p);
      if (st.isSymbolicLink()) {
        throw new VaggaError(`!OciImage: the image layout ${JSON.stringify(shown)} contains a symlink (${rel}${n})`, {
          code: 'config.path-outside-project', hint: 'An image layout in the project must hold plain files only.',
        });
      }
      if (st.isDirectory()) walk(p, `${rel}${n}/`);
    }
  };
  walk(dir, '');
}

/**
 * The manifest digest that `tag` names in the OCI layout at `dir` (the manifest annotated
 * `org.opencontainers.image.ref.name: TAG`, or the only one when no tag is given). Throws
 * VaggaError when index.json is missing, malformed or has no such manifest.
 */
export function layoutDigest(dir: string, tag: string | undefined, shown: string): string {
  let index: unknown;
  try {
    index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8'));
  } catch (e) {
    throw new VaggaError(`!OciImage: cannot read ${shown}/index.json: ${(e as Error).message}`, {
      code: 'build.source-missing', hint: 'oci:DIR names an OCI image layout directory (oci-layout, index.json, blobs/) in the project.',
    });
  }
  return indexDigest(index, tag, shown);
}

/**
 * The manifest digest that `tag` names in the `index.json` of the OCI archive `file` (a tar
 * of a layout), read from the tar headers without unpacking (the last `index.json` member,
 * as extracting it would leave). Links in the archive are refused (skopeo unpacks it to
 * read it). Throws VaggaError.
 */
export function archiveDigest(file: string, tag: string | undefined, shown: string): string {
  let fd: number | undefined;
  const bad = (detail: string, code: 'build.bad-archive' | 'build.source-missing' = 'build.bad-archive') =>
    new VaggaError(`!OciImage: ${shown}: ${detail}`, { code, hint: 'oci-archive:FILE names a tar of an OCI image layout in the project (skopeo copy ... oci-archive:FILE:TAG writes one).' });
  try {
    fd = openSync(file, 'r');
  } catch (e) {
    throw bad(`cannot open: ${(e as Error).message}`, 'build.source-missing');
  }
  try {
    const size = fstatSync(fd).size;
    const header = Buffer.alloc(512);
    let pos = 0;
    let index: Buffer | undefined;
    while (pos + 512 <= size) {
      readSync(fd, header, 0, 512, pos);
      if (header.every((b) => b === 0)) break;
      const name = header.toString('utf8', 0, 100).replace(/\0.*$/s, '');
      const prefix = header.toString('utf8', 345, 500).replace(/\0.*$/s, '');
      const type = String.fromCharCode(header[156]!);
      const len = parseInt(header.toString('ascii', 124, 136).replace(/\0.*$/s, '').trim() || '0', 8);
      if (!Number.isFinite(len) || len < 0) throw bad('is not a tar archive');
      if ('1234'.includes(type) || type === '6') throw bad(`holds a link or special file (${prefix ? `${prefix}/` : ''}${name})`);
      const full = (prefix ? `${prefix}/${name}` : name).replace(/^\.\//, '');
      if (full === 'index.json' && (type === '0' || type === '\0')) {
        if (len > 16 * 1024 * 1024) throw bad('index.json is too large');
        index = Buffer.alloc(len);
        readSync(fd, index, 0, len, pos + 512);
      }
      pos += 512 + Math.ceil(len / 512) * 512;
    }
    if (index === undefined) throw bad('has no index.json', 'build.source-missing');
    let parsed: unknown;
    try {
      parsed = JSON.parse(index.toString('utf8'));
    } catch (e) {
      throw bad(`index.json is not JSON: ${(e as Error).message}`);
    }
    return indexDigest(parsed, tag, shown);
  } finally {
    closeSync(fd);
  }
}

/** The manifest digest that `tag` names in a parsed index.json (the only one without a tag). Throws VaggaError. */
function indexDigest(parsed: unknown, tag: string | undefined, shown: string): string {
  const index = (parsed ?? {}) as { manifests?: Array<{ digest?: string; annotations?: Record<string, string> }> };
  const manifests = Array.isArray(index.manifests) ? index.manifests : [];
  const found = tag === undefined
    ? (manifests.length === 1 ? manifests : [])
    : manifests.filter((m) => m.annotations?.['org.opencontainers.image.ref.name'] === tag);
  const digest = found[0]?.digest;
  if (found.length !== 1 || typeof digest !== 'string' || !isDigest(digest)) {
    const what = tag !== undefined ? `no single manifest tagged ${JSON.stringify(tag)}` : `${manifests.length} manifests, not a single one`;
    throw new VaggaError(`!OciImage: ${shown} has ${what} with a sha256 digest`, {
      code: 'build.source-missing', hint: 'Name the tag: oci:DIR:TAG (see the ref.name annotations in index.json).',
    });
  }
  return digest;
}
