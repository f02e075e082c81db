/**
 * End-to-end: Debian packages, build dependencies and npm dependencies, and a second container that downloads nothing (slow; needs the host's Debian mirror and the npm registry the
 * host's npm is configured for; VAGGA_E2E_SKIP_DEBIAN=1 skips it). Everything runs through the
 * real CLI bundle as the harness's ordinary user with subuid/subgid ranges:
 *
 *  1. container `first`: `!Debian bookworm` + `!Install [hello]` + `!BuildDeps [tree]` (used by a
 *     `!Sh` step during the build) + `!NpmDependencies` (package.json: semver, which has a bin);
 *     a command runs `hello`, `semver` and `node`; `tree` (and npm, the npm steps' own build
 *     dependency) are gone from the finished container.
 *  2. container `second`: a different container (one more step) on the same base with the same
 *     packages, built with vagga's defaults. It must fetch NOTHING:
 *     - apt: no `Get:`/`Hit:`/`Ign:`/`Err:` line at all (no package, no index, no InRelease:
 *       the cached lists are fresh, so apt-get update is skipped) and every `Need to get` line
 *       says `0 B`; the shared .deb cache and the bootstrap tarball cache hold exactly the same
 *       files afterwards.
 *     - npm: the registry is a local forwarding proxy (same URL in both builds, so npm's cache
 *       keys match) that drops every request during the second build: any download would fail
 *       the build, and the proxy records that nothing, not even metadata, was asked for (npm
 *       installs run with --prefer-offline).
 *  So that the measurement demonstrably sees downloads, the .debs of hello and tree are removed
 *  from the shared apt cache (under vagga's own apt cache lock) and semver's tarball from npm's
 *  cache before the first build, which must then fetch them.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { lockCacheEntry } from '../../src/steps/debian/cache-lock.js';
import { cleanupStage, e2eEnv, makeProject, parseSubIds, show, vagga, type E2EEnv, type RunResult } from './harness.js';
import { fileSnapshot } from './fixtures.js';

after(cleanupStage);

const skip = process.env.VAGGA_E2E_SKIP_DEBIAN === '1' ? 'VAGGA_E2E_SKIP_DEBIAN=1' : false;

/** The shared steps of both containers: one base, the same packages. */
const SHARED_STEPS = `
    - !Debian bookworm
    - !Install [hello]
    - !BuildDeps [tree]
    - !Sh 'tree --version > /etc/tree-version'
    - !NpmDependencies`;

const project = `
containers:
  first:
    setup:${SHARED_STEPS}
  second:
    setup:${SHARED_STEPS}
    - !Text { /etc/which: second }
commands:
  tools-first: !Command
    container: first
    run: &tools
    - sh
    - -c
    - |
      hello &&
      semver -r '>=1.0.0' 1.2.3 &&
      node -e 'console.log(require("/usr/local/lib/node_modules/semver").valid("2.0.0"))' &&
      cat /etc/tree-version
  tools-second: !Command
    container: second
    run: *tools
  gone-first: !Command
    container: first
    run: &gone [sh, -c, 'for t in tree npm; do if command -v $t >/dev/null; then echo "$t present"; else echo "$t gone"; fi; done']
  gone-second: !Command
    container: second
    run: *gone
`;

const packageJson = JSON.stringify({ name: 'pkg-reuse', version: '1.0.0', dependencies: { semver: '7.6.0' } });

/** Packages whose .debs are removed from the shared apt cache before the first build. */
const REFETCHED_DEBS = ['hello', 'tree'];
/** The npm package (name, version) whose tarball is removed from npm's cache before the first build. */
const REFETCHED_TARBALL: [string, string] = ['semver', '7.6.0'];

/** One `Get:` line of apt: what it fetched. */
interface AptGet {
  line: string;
  /** Package name for a .deb download; undefined for an index file (InRelease, Packages...). */
  pkg?: string;
}

/**
 * The `Get:` lines of apt output. apt-get(8) prints `Get:N URI DIST[/COMP] [ARCH] WHAT [SIZE]`:
 * index files have 1-3 words between the URI and the size (`bookworm InRelease`,
 * `bookworm/main amd64 Packages`), packages 5 (`bookworm/main amd64 hello amd64 2.10-3`).
 */
function aptGets(log: string): AptGet[] {
  const out: AptGet[] = [];
  for (const line of log.split('\n')) {
    const m = /^Get:\d+ (\S+) (.*) \[[^\]]*\]\s*$/.exec(line.trim());
    if (!m) continue;
    const words = m[2]!.split(/\s+/);
    out.push(words.length >= 5 ? { line, pkg: words[2] } : { line });
  }
  return out;
}

/** The `Need to get X/Y of archives.` lines of apt-get install output (X = what is downloaded). */
function needToGet(log: string): string[] {
  return log.split('\n').filter((l) => l.startsWith('Need to get '));
}


/** Entries of `after` that are new or changed compared with `before`. */
function changed(before: Map<string, string>, after: Map<string, string>): string[] {
  return [...after].filter(([p, v]) => before.get(p) !== v).map(([p]) => p);
}

/** A request the registry proxy saw. */
interface ProxyHit {
  /** The proxy's mode when the request came. */
  mode: RegistryProxy['mode'];
  url: string;
  /** A package tarball (`<name>/-/<name>-<version>.tgz`), not metadata (a packument). */
  tarball: boolean;
  /** Status served; undefined when the connection was dropped. */
  status?: number;
}

/**
 * A local npm registry: forwards GET/HEAD to `upstream` (the host npm's registry), rewriting
 * `upstream` in JSON bodies (the tarball URLs of packuments) to its own URL, so everything npm
 * fetches goes through it and is recorded in `hits`. Mode `no-tarballs` drops the connection
 * of every tarball request (the packages are unreachable at the same URL), still serving
 * metadata; mode `offline` drops every request (the registry is unreachable).
 */
class RegistryProxy {
  readonly hits: ProxyHit[] = [];
  mode: 'open' | 'no-tarballs' | 'offline' = 'open';
  url = '';
  private server: Server;

  constructor(readonly upstream: string) {
    this.server = createServer((req, res) => {
      const url = req.url ?? '/';
      const hit: ProxyHit = { mode: this.mode, url, tarball: /\/-\/[^/]+\.tgz$/.test(url.split('?')[0]!) };
      this.hits.push(hit);
      if (this.mode === 'offline' || (hit.tarball && this.mode === 'no-tarballs')) {
        req.socket.destroy();
        return;
      }
      void this.fetchUpstream(req.method === 'HEAD' ? 'HEAD' : 'GET', url, req.headers.accept).then(
        ({ status, headers, body }) => {
          hit.status = status;
          res.writeHead(status, headers);
          res.end(req.method === 'HEAD' ? undefined : body);
        },
        (err: Error) => {
          hit.status = 502;
          res.writeHead(502, { 'content-type': 'text/plain' });
          res.end(`proxy: ${err.message}`);
        },
      );
    });
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/`;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** GET `path` (relative to the registry) upstream; JSON bodies get the proxy's URL for upstream's. */
  async fetchUpstream(method: 'GET' | 'HEAD', path: string, accept?: string) {
    const r = await fetch(new URL(path.replace(/^\/+/, ''), this.upstream), { method, headers: accept ? { accept } : {} });
    let body = Buffer.from(await r.arrayBuffer());
    const type = r.headers.get('content-type') ?? 'application/octet-stream';
    if (type.includes('json')) body = Buffer.from(body.toString('utf8').split(this.upstream).join(this.url));
    const headers: Record<string, string> = { 'content-type': type, 'content-length': String(body.length) };
    for (const h of ['etag', 'last-modified', 'cache-control']) {
      const v = r.headers.get(h);
      if (v) headers[h] = v;
    }
    return { status: r.status, headers, body };
  }
}

/**
 * Path of a package tarball's content in npm's cache (cacache: `content-v2/<algo>/<hex[0:2]>/
 * <hex[2:4]>/<hex[4:]>` of the `dist.integrity` digest), looked up in the registry's packument.
 */
async function npmCacheContentPath(registry: RegistryProxy, cacheDir: string, name: string, version: string): Promise<string> {
  const r = await registry.fetchUpstream('GET', `/${name}`, 'application/json');
  const integrity = (JSON.parse(r.body.toString('utf8')) as { versions: Record<string, { dist: { integrity: string } }> })
    .versions[version]!.dist.integrity;
  const [algo, b64] = integrity.split('-', 2) as [string, string];
  const hex = Buffer.from(b64, 'base64').toString('hex');
  return join(cacheDir, 'npm-cache/_cacache/content-v2', algo, hex.slice(0, 2), hex.slice(2, 4), hex.slice(4));
}

/** The registry the host's npm uses (`npm config get registry`), with a trailing slash. */
function hostRegistry(cwd: string): string {
  const r = spawnSync('npm', ['config', 'get', 'registry'], { cwd, encoding: 'utf8' });
  const url = r.status === 0 ? r.stdout.trim() : '';
  if (!/^https?:\/\//.test(url)) throw new Error(`cannot read the host npm's registry (npm config get registry): ${r.stderr ?? r.error}`);
  return url.endsWith('/') ? url : `${url}/`;
}

describe('Debian packages, build deps and npm dependencies; a second container downloads no package', { skip, timeout: 1_800_000 }, () => {
  let env: E2EEnv;
  let dir: string;
  let registry: RegistryProxy;
  let npmEnv: Record<string, string>;
  const archives = () => join(env.cacheDir, 'apt-archives-debian');

  before(async () => {
    env = await e2eEnv();
    registry = new RegistryProxy(hostRegistry(env.stageDir));
    await registry.start();
    npmEnv = { npm_config_registry: registry.url };
    dir = await makeProject({ 'vagga.yaml': project, 'package.json': packageJson }, { busybox: false, name: 'pkg-reuse' });
    // Make the first build download hello and tree (under the lock vagga holds around apt runs)...
    const release = await lockCacheEntry(archives());
    try {
      for (const name of readdirSync(archives())) {
        if (REFETCHED_DEBS.some((p) => name.startsWith(`${p}_`) && name.endsWith('.deb'))) rmSync(join(archives(), name));
      }
    } finally {
      await release();
    }
    // ...and semver's tarball (npm finds cached tarballs by their integrity digest).
    rmSync(await npmCacheContentPath(registry, env.cacheDir, ...REFETCHED_TARBALL), { force: true });
  });

  after(async () => {
    await registry?.close();
  });

  test('the builds run as an ordinary user with subordinate uid/gid ranges', () => {
    assert.notEqual(env.uid, 0);
    for (const file of ['/etc/subuid', '/etc/subgid']) {
      const text = readFileSync(file, 'utf8');
      assert.ok(parseSubIds(text).some((e) => (e.owner === env.user || e.owner === String(env.uid)) && e.count >= 65536), `${file} has a range for ${env.user}`);
    }
  });

  let first: RunResult | undefined;

  test('first container: !Install, !BuildDeps (used, then removed) and !NpmDependencies; the tools run', async (t) => {
    // -v: apt's and npm's output is streamed on stderr (by default it goes to build.log only).
    first = await vagga(dir, ['-v', '_build', 'first'], { env: npmEnv, timeoutMs: 1_500_000, noBuildCache: true });
    assert.equal(first.status, 0, show(first));
    // The measurement sees downloads: the removed .debs were fetched again...
    const fetched = aptGets(first.stderr).map((g) => g.pkg).filter(Boolean);
    for (const p of REFETCHED_DEBS) assert.ok(fetched.includes(p), `apt fetched ${p} in the first build: ${fetched.join(' ')}\n${show(first)}`);
    // ...and npm fetched semver's metadata and tarball through the registry proxy.
    // (The packument may come from npm's cache under --prefer-offline if an earlier run used
    // the same proxy URL; the removed tarball cannot.)
    const [name, version] = REFETCHED_TARBALL;
    assert.ok(registry.hits.some((h) => h.url === `/${name}/-/${name}-${version}.tgz` && h.status === 200), `npm fetched ${name}-${version}.tgz: ${JSON.stringify(registry.hits)}\n${show(first)}`);
    assert.match(first.stderr, /Removing build dependencies: tree\b/, show(first));
    t.diagnostic(`first build: ${first.ms} ms; registry requests: ${registry.hits.map((h) => `${h.url} ${h.status}`).join(', ')}`);

    const tools = await vagga(dir, ['tools-first'], { env: npmEnv, noBuildCache: true });
    assert.equal(tools.status, 0, show(tools));
    assert.match(tools.stdout, /^Hello, world!\n1\.2\.3\n2\.0\.0\ntree v2\.[^\n]*\n$/, show(tools));
    const gone = await vagga(dir, ['gone-first'], { env: npmEnv, noBuildCache: true });
    assert.equal(gone.status, 0, show(gone));
    assert.equal(gone.stdout, 'tree gone\nnpm gone\n', show(gone));
    // Root inside is the user outside.
    assert.equal(statSync(join(dir, '.vagga/first/usr/bin/hello')).uid, env.uid);
  });

  test('second container on the same base fetches nothing: no apt fetch or index check, no registry request (it is unreachable)', async (t) => {
    assert.equal(first?.status, 0, 'the first build succeeded');
    const before = { archives: fileSnapshot(archives()), bootstrap: fileSnapshot(join(env.cacheDir, 'debian')) };
    const firstHits = registry.hits.length;
    registry.mode = 'offline';
    const second = await vagga(dir, ['-v', '_build', 'second'], { env: npmEnv, timeoutMs: 1_500_000, noBuildCache: true });
    assert.equal(second.status, 0, `the build succeeds with the npm registry unreachable\n${show(second)}`);
    // apt: nothing fetched or even checked (no package, no index, no InRelease), every install
    // 0 B, the .deb cache and bootstrap tarball untouched.
    const gets = aptGets(second.stderr);
    assert.deepEqual(gets.map((g) => g.line), [], 'apt fetched nothing (no package, no index file)');
    const aptNet = second.stderr.split('\n').filter((l) => /^(Get|Hit|Ign|Err):\d+ /.test(l.trim()) || /InRelease/.test(l));
    assert.deepEqual(aptNet, [], `apt made no request to the mirror (apt-get update skipped on fresh lists)\n${show(second)}`);
    assert.match(second.stderr, /skipping apt-get update/, show(second));
    const needs = needToGet(second.stderr);
    assert.ok(needs.length >= 3, `apt-get install ran for hello, tree and node/npm: ${needs.join(' | ')}`);
    for (const n of needs) assert.match(n, /^Need to get 0 B\//, `every apt-get install downloads 0 B\n${needs.join('\n')}`);
    assert.deepEqual(changed(before.archives, fileSnapshot(archives())), [], 'no .deb was added to or changed in the apt cache');
    assert.deepEqual(changed(before.bootstrap, fileSnapshot(join(env.cacheDir, 'debian'))), [], 'the bootstrap tarball was reused');
    // npm: installed, without asking for any tarball (a request would have been dropped).
    assert.match(second.stderr, /added \d+ packages?/, show(second));
    const secondHits = registry.hits.slice(firstHits);
    assert.deepEqual(secondHits.map((h) => h.url), [], 'npm made no registry request at all (no tarball, no metadata)');
    t.diagnostic(`second build: ${second.ms} ms; no apt fetch, no registry request`);

    const tools = await vagga(dir, ['tools-second'], { env: npmEnv, noBuildCache: true });
    assert.equal(tools.status, 0, show(tools));
    assert.match(tools.stdout, /^Hello, world!\n1\.2\.3\n2\.0\.0\ntree v2\.[^\n]*\n$/, show(tools));
    const gone = await vagga(dir, ['gone-second'], { env: npmEnv, noBuildCache: true });
    assert.equal(gone.status, 0, show(gone));
    assert.equal(gone.stdout, 'tree gone\nnpm gone\n', show(gone));
  });
});
