import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { mkdirSync, readFileSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { VaggaError } from '../../../src/errors/vagga-error.js';
import {
  alpineRepoLine, alpineRepositoriesText, apkAddArgv, apkArch, apkBootstrapArgv, apkIndexUrl, checkAlpineVersion, findIndexVersion,
  parseAlpineRepoName, resolveAlpineMirror,
} from '../../../src/steps/alpine/plan.js';
import { tarFiles, tarGzFiles } from '../../../src/steps/alpine/archive.js';
import { cachedApkStatic, ensureApkStatic } from '../../../src/steps/alpine/apk-static.js';
import { apkInstall } from '../../../src/steps/alpine/apk-run.js';
import { stepDef } from '../../../src/steps/registry.js';
import { activateDistro } from '../../../src/steps/debian/distro.js';
import { fakeContext } from '../steps/fake-context.js';
import { removeTempTree, tempDir } from '../temp-dir.js';

const MIRROR = 'http://mirror.example/alpine/';
const log = { info() {}, warn() {}, debug() {} };

test('!Alpine version check: Vagga\'s regex and exact message, exit 121', () => {
  for (const ok of ['v3.4', 'v3.15', 'v10.0']) checkAlpineVersion(ok);
  for (const bad of ['v3.3-1', '3.4', 'edge', 'v3']) {
    assert.throws(() => checkAlpineVersion(bad), (e: VaggaError) => e.exitCode === 121 && e.message === `Error checking alpine version: '${bad}'`);
  }
});

test('alpine-mirror: required (error names the setting), gets exactly one trailing slash', () => {
  assert.throws(() => resolveAlpineMirror(undefined), (e: VaggaError) => e.exitCode === 121 && /`alpine-mirror` setting is not set/.test(e.message) && /settings\.yaml/.test(e.hint ?? ''));
  assert.throws(() => resolveAlpineMirror('file:///srv/alpine'), /must be an http/);
  assert.equal(resolveAlpineMirror('http://mirror.example/alpine'), MIRROR);
  assert.equal(resolveAlpineMirror('http://mirror.example/alpine//'), MIRROR);
});

test('repositories lines: main after !Alpine; !AlpineRepo / !Repo forms (Vagga tests\' shapes)', () => {
  assert.equal(alpineRepositoriesText(MIRROR, 'v3.4'), `${MIRROR}v3.4/main\n`);
  assert.equal(alpineRepoLine({ repo: 'community' }, MIRROR, 'v3.4'), `${MIRROR}v3.4/community`);
  assert.equal(alpineRepoLine({ url: 'http://other.example/alpine', branch: 'edge', repo: 'community', tag: 'community' }, MIRROR, 'v3.4'),
    '@community http://other.example/alpine/edge/community');
  assert.deepEqual(parseAlpineRepoName('community'), { repo: 'community' });
  assert.deepEqual(parseAlpineRepoName('edge/testing'), { branch: 'edge', repo: 'testing' });
  assert.throws(() => parseAlpineRepoName('a/b/c'), /Cannot parse repository string\. .* But was: 'a\/b\/c'/);
});

test('apk command lines and index location', () => {
  assert.equal(apkArch('x64'), 'x86_64');
  assert.equal(apkArch('arm64'), 'aarch64');
  assert.equal(apkArch('mips'), undefined);
  assert.equal(apkIndexUrl(MIRROR, 'v3.18', 'x86_64'), `${MIRROR}v3.18/main/x86_64/APKINDEX.tar.gz`);
  assert.deepEqual(apkBootstrapArgv('x86_64'), [
    '/tmp/.vagga-apk.static', '--root', '/', '--arch', 'x86_64', '--initdb', '--update-cache', '--allow-untrusted', '--no-progress', 'add', 'alpine-base',
  ]);
  assert.deepEqual(apkAddArgv(['bc'], true), ['apk', '--no-progress', '--update-cache', 'add', 'bc']);
  assert.deepEqual(apkAddArgv(['bc'], false), ['apk', '--no-progress', 'add', 'bc']);
});

test('APKINDEX records: version of a package by P:/V:', () => {
  const index = 'C:Q1abc=\nP:apk-tools\nV:2.14.0-r2\n\nC:Q1def=\nP:apk-tools-static\nV:2.14.0-r2\nA:x86_64\n\n';
  assert.equal(findIndexVersion(index, 'apk-tools-static'), '2.14.0-r2');
  assert.equal(findIndexVersion(index, 'nope'), undefined);
});

/** A tar segment of `files` made by GNU tar; `open` drops the end-of-archive blocks (like apk's signature segment). */
function tarOf(files: Record<string, string | Buffer>, open = false): Buffer {
  const dir = tempDir('vtar-');
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), content);
  }
  const r = spawnSync('tar', ['-C', dir, '--format=ustar', '-cf', '-', ...Object.keys(files)], { maxBuffer: 1 << 26 });
  assert.equal(r.status, 0, r.stderr.toString());
  removeTempTree(dir);
  let out = r.stdout as Buffer;
  if (open) {
    let end = out.length;
    while (end >= 512 && out.subarray(end - 512, end).every((b) => b === 0)) end -= 512;
    out = out.subarray(0, end);
  }
  return out;
}

/** Gzip members concatenated, as in .apk files and APKINDEX.tar.gz (signature, then content). */
function apkLike(files: Record<string, string | Buffer>): Buffer {
  return Buffer.concat([gzipSync(tarOf({ '.SIGN.RSA.alpine-devel.rsa.pub': 'sig' }, true)), gzipSync(tarOf(files))]);
}

test('tar reader: concatenated gzip members and open tar segments are read through', () => {
  const files = tarGzFiles(apkLike({ APKINDEX: 'P:x\nV:1\n', 'sbin/apk.static': 'ELF' }));
  assert.equal(files.get('APKINDEX')?.toString(), 'P:x\nV:1\n');
  assert.equal(files.get('sbin/apk.static')?.toString(), 'ELF');
  assert.ok(files.has('.SIGN.RSA.alpine-devel.rsa.pub'));
  const long = `${'d'.repeat(120)}/f.txt`;
  assert.equal(tarFiles(tarOf({ [long]: 'x' })).get(long)?.toString(), 'x');
  assert.throws(() => tarFiles(tarOf({ a: 'x'.repeat(2000) }).subarray(0, 1024)), /truncated/);
});

/** A fake mirror on 127.0.0.1 serving an index and apk-tools-static for v3.18/x86_64; counts requests. */
async function fakeMirror(): Promise<{ url: string; server: Server; hits: string[] }> {
  const hits: string[] = [];
  const index = apkLike({ APKINDEX: 'P:apk-tools-static\nV:2.14.0-r2\nA:x86_64\n\n' });
  const pkg = apkLike({ 'sbin/apk.static': '#!/bin/sh\necho fake apk\n' });
  const server = createServer((req, res) => {
    hits.push(req.url ?? '');
    if (req.url === '/alpine/v3.18/main/x86_64/APKINDEX.tar.gz') return res.end(index);
    if (req.url === '/alpine/v3.18/main/x86_64/apk-tools-static-2.14.0-r2.apk') return res.end(pkg);
    res.statusCode = 404;
    res.end('no');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return { url: `http://127.0.0.1:${port}/alpine/`, server, hits };
}

test('apk.static is fetched through the index, cached executable, and reused without network', async () => {
  const m = await fakeMirror();
  const ctx = fakeContext();
  try {
    const path = await ensureApkStatic({ mirror: m.url, version: 'v3.18', arch: 'x86_64', cacheDir: ctx.cacheDir, log });
    assert.equal(readFileSync(path, 'utf8'), '#!/bin/sh\necho fake apk\n');
    assert.equal(statSync(path).mode & 0o777, 0o755);
    assert.match(path, /alpine\/apk-tools-static-2\.14\.0-r2-x86_64-[0-9a-f]{8}\/apk\.static$/);
    assert.equal(m.hits.length, 2);
    assert.equal(await ensureApkStatic({ mirror: m.url, version: 'v3.18', arch: 'x86_64', cacheDir: ctx.cacheDir, log }), path);
    assert.equal(m.hits.length, 2, 'second call is served from the cache');
    assert.equal(cachedApkStatic(ctx.cacheDir, 'v3.18', 'x86_64', m.url), path);
    // A release the mirror lacks: HTTP error naming the setting.
    await assert.rejects(ensureApkStatic({ mirror: m.url, version: 'v3.99', arch: 'x86_64', cacheDir: ctx.cacheDir, log }),
      (e: VaggaError) => /answered HTTP 404/.test(e.message) && /`alpine-mirror`/.test(e.hint ?? ''));
  } finally {
    m.server.close();
    ctx.cleanup();
  }
});

test('unreachable alpine-mirror: a clear error naming the setting', async () => {
  const ctx = fakeContext();
  try {
    // Port 9 (discard) on loopback: connection refused.
    await assert.rejects(ensureApkStatic({ mirror: 'http://127.0.0.1:9/alpine/', version: 'v3.18', arch: 'x86_64', cacheDir: ctx.cacheDir, log }),
      (e: VaggaError) => e.exitCode === 121 && /Alpine mirror is unreachable/.test(e.message) && /`alpine-mirror`/.test(e.hint ?? ''));
    await assert.rejects(stepDef('Alpine')!.prepare!('v3.18', { projectRoot: ctx.projectRoot, cacheDir: ctx.cacheDir, settings: ctx.settings, log, signal: new AbortController().signal }),
      /`alpine-mirror` setting is not set/);
    await assert.rejects(stepDef('Alpine')!.prepare!('v3.3-1', { projectRoot: ctx.projectRoot, cacheDir: ctx.cacheDir, settings: ctx.settings, log, signal: new AbortController().signal }),
      /Error checking alpine version: 'v3\.3-1'/);
  } finally { ctx.cleanup(); }
});

test('!Alpine build: repositories file, apk.static run in the root, context; then !Repo, !Install/!BuildDeps via apk', async (t) => {
  if (apkArch() !== 'x86_64') return t.skip('fixture is for x86_64');
  const m = await fakeMirror();
  const ctx = fakeContext();
  try {
    ctx.settings = { ...ctx.settings, alpineMirror: m.url };
    await ensureApkStatic({ mirror: m.url, version: 'v3.18', arch: 'x86_64', cacheDir: ctx.cacheDir, log });
    const runs: Array<{ argv: string[]; staticThere: boolean }> = [];
    ctx.run = async (argv) => { runs.push({ argv, staticThere: existsSync(join(ctx.root, 'tmp/.vagga-apk.static')) }); };
    await stepDef('Alpine')!.build!('v3.18', ctx);
    assert.equal(readFileSync(join(ctx.root, 'etc/apk/repositories'), 'utf8'), `${m.url}v3.18/main\n`);
    assert.deepEqual(runs[0]!.argv, apkBootstrapArgv('x86_64'));
    assert.equal(runs[0]!.staticThere, true);
    assert.equal(existsSync(join(ctx.root, 'tmp/.vagga-apk.static')), false, 'removed after the bootstrap');
    assert.equal(ctx.cacheMounts.get('/etc/apk/cache'), 'alpine-cache');
    assert.equal(ctx.env.LANG, 'en_US.UTF-8');
    assert.deepEqual(ctx.state.get('distro'), { name: 'alpine', suite: 'v3.18', mirror: m.url });

    await stepDef('Repo')!.build!('community', ctx);
    await stepDef('AlpineRepo')!.build!({ branch: 'edge', repo: 'testing', tag: 'testing' }, ctx);
    assert.equal(readFileSync(join(ctx.root, 'etc/apk/repositories'), 'utf8'),
      `${m.url}v3.18/main\n${m.url}v3.18/community\n@testing ${m.url}edge/testing\n`);
    const distro = ctx.state.get('distro') as { name: string };
    await apkInstall(ctx, distro, ['bc'], false);
    await apkInstall(ctx, distro, ['gcc', 'bc'], true);
    assert.deepEqual(runs[1]!.argv, ['apk', '--no-progress', '--update-cache', 'add', 'bc'], 'index refreshed after the repository change');
    assert.deepEqual(runs[2]!.argv, ['apk', '--no-progress', 'add', 'gcc', 'bc']);
    for (const hook of ctx.finish.hooks) await hook();
    assert.deepEqual(runs[3]!.argv, ['apk', '--no-progress', 'del', 'gcc'], 'build deps removed unless !Install-ed');
    // Alpine-only / apt-only steps on the wrong distribution.
    await assert.rejects(stepDef('UbuntuUniverse')!.build!(null, ctx), /must be used on "ubuntu" but used on "alpine"/);
  } finally {
    m.server.close();
    ctx.cleanup();
  }
});

test('!AlpineRepo on Debian is refused; a second distribution step is refused', async () => {
  const ctx = fakeContext();
  try {
    activateDistro(ctx, { name: 'debian', suite: 'bookworm', mirror: 'http://mirror.example/debian' });
    await assert.rejects(stepDef('AlpineRepo')!.build!({ repo: 'community' }, ctx), /step must be used on "alpine" but used on "debian" distribution instead/);
    ctx.settings = { ...ctx.settings, alpineMirror: MIRROR };
    await assert.rejects(stepDef('Alpine')!.build!('v3.18', ctx), /step initializes distribution "alpine" but the "debian" is already initialized/);
  } finally { ctx.cleanup(); }
});
