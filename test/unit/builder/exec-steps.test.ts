/**
 * The generic steps owned by the build work: !Sh, !Cmd, !Tar, !Download — hash vectors
 * from vagga-inventory.md §2.1/§3.3, schemas, and the unpack/copy behaviour.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync, lstatSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { QNode } from '../../../src/config/qnode.js';
import { validate } from '../../../src/config/schema.js';
import { Digest } from '../../../src/version/digest.js';
import { steps as commandSteps } from '../../../src/steps/commands.js';
import { steps as tarSteps, detectCompression, mergeMove, normalSubdir, tarExtractArgs, unpackTar } from '../../../src/steps/tar.js';
import { steps as downloadSteps, sourceKind } from '../../../src/steps/download.js';
import type { BuildContext, StepDef } from '../../../src/steps/step.js';
import { tempDir } from '../temp-dir.js';

const pos = { file: '/p/vagga.yaml', line: 1, col: 1 };
const scalar = (text: string): QNode => ({ kind: 'scalar', text, plain: true, pos });
const seq = (...items: string[]): QNode => ({ kind: 'seq', items: items.map(scalar), pos });
const map = (o: Record<string, string>): QNode => ({ kind: 'map', entries: Object.entries(o).map(([key, v]) => ({ key, keyPos: pos, value: scalar(v) })), pos });

const all = new Map<string, StepDef<any>>([...commandSteps, ...tarSteps, ...downloadSteps].map((s) => [s.tag, s]));
const def = (tag: string) => all.get(tag)!;

/** Short version of a container with default uids/gids and the given (tag, node) steps. */
function version(steps: Array<[string, QNode]>, prefix: (d: Digest) => void = () => {}): string {
  const d = new Digest();
  d.list('uids', ['0-65536']);
  d.list('gids', ['0-65536']);
  prefix(d);
  for (const [tag, node] of steps) {
    const s = def(tag);
    d.marker(tag);
    s.hash(validate(s.schema, node), d, undefined as never);
  }
  return d.hex().slice(0, 8);
}

test('hash vector: !Tar {url: ./tmp.tar.gz} -> e66f72fd', () => {
  assert.equal(version([['Tar', map({ url: './tmp.tar.gz' })]]), 'e66f72fd');
});

test('hash vector: !Download + !Tar with subdir and path -> 03319fd2', () => {
  assert.equal(version([
    ['Download', map({ url: 'http://files.zerogw.com/vagga/vagga-0.4.0.tar.xz', path: '/work/vagga-0.4.0.tar.xz' })],
    ['Tar', map({ url: './vagga-0.4.0.tar.xz', subdir: 'vagga', path: '/usr/lib/vagga' })],
  ]), '03319fd2');
});

test('hash vector: !SubConfig(!Alpine v3.4, !Install [bc]) + !Sh -> 83b9845a (field `script`)', () => {
  const inlined = (d: Digest) => {
    d.marker('SubConfig');
    d.marker('Alpine'); d.field('version', 'v3.4');
    d.marker('Install'); d.list('packages', ['bc']);
  };
  assert.equal(version([['Sh', scalar('echo 2+3 | bc > /value.txt')]], inlined), '83b9845a');
});

test('!Cmd hashes a `command-line` list; an empty list is a config error', () => {
  const d1 = new Digest(); def('Cmd').hash(['a', 'b'], d1, undefined as never);
  const d2 = new Digest(); d2.list('command-line', ['a', 'b']);
  assert.equal(d1.hex(), d2.hex());
  assert.deepEqual(validate(def('Cmd').schema, seq('echo', 'hi')), ['echo', 'hi']);
  assert.throws(() => validate(def('Cmd').schema, seq()), /non-empty command line/);
});

test('!Tar hash uses the sha256 instead of the url when given; defaults path / and subdir ""', () => {
  const p = validate(def('Tar').schema, map({ url: 'https://x/a.tgz', sha256: 'abcd' }));
  assert.deepEqual(p, { url: 'https://x/a.tgz', sha256: 'abcd', path: '/', subdir: '' });
  const d1 = new Digest({ trace: true }); def('Tar').hash(p, d1, undefined as never);
  assert.deepEqual(d1.trace, ['  hash: "abcd"', '  path: "/"', '  subdir: ""']);
  const dl = validate(def('Download').schema, map({ url: 'https://x/f', path: '/f', mode: '0o755' }));
  assert.equal(dl.mode, 0o755);
  const d2 = new Digest({ trace: true }); def('Download').hash(dl, d2, undefined as never);
  assert.deepEqual(d2.trace, ['  url: "https://x/f"', '  path: "/f"', '  mode: 493']);
  assert.throws(() => validate(def('Download').schema, map({ url: 'x', path: 'rel' })), /absolute/);
});

test('!Sh and !Cmd run through BuildContext.run as Vagga does', async () => {
  const runs: string[][] = [];
  const ctx = { run: async (argv: string[]) => { runs.push(argv); } } as unknown as BuildContext;
  await def('Sh').build!('echo hi', ctx);
  await def('Cmd').build!(['make', '-j2'], ctx);
  assert.deepEqual(runs, [['/bin/sh', '-exc', 'echo hi'], ['make', '-j2']]);
});

test('source kinds: http(s) remote, relative project paths; others rejected', () => {
  assert.equal(sourceKind('https://e.x/a.tgz', 'Tar'), 'remote');
  assert.equal(sourceKind('./a.tgz', 'Tar'), 'project');
  assert.equal(sourceKind('sub/a.tgz', 'Tar'), 'project');
  assert.throws(() => sourceKind('/volumes/x/a.tgz', 'Tar'), /not supported/);
  assert.throws(() => sourceKind('ftp://e.x/a', 'Tar'), /unsupported URL scheme/);
});

test('compression is detected from magic bytes', () => {
  assert.equal(detectCompression(Buffer.from([0x1f, 0x8b, 8, 0])), 'gzip');
  assert.equal(detectCompression(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00])), 'xz');
  assert.equal(detectCompression(Buffer.from('BZh91A')), 'bzip2');
  assert.equal(detectCompression(Buffer.from('hello/')), 'none');
  assert.deepEqual(tarExtractArgs('/a.tar', '/r', 'xz', true), ['-x', '-f', '/a.tar', '-C', '/r', '--no-same-owner', '--keep-directory-symlink', '-J', '--anchored', '--exclude=./dev/*', '--exclude=dev/*']);
  assert.equal(normalSubdir('./vagga/'), 'vagga');
  assert.equal(normalSubdir('.'), '');
  assert.equal(normalSubdir(''), '');
});

function makeArchives() {
  const dir = tempDir('vagga-tar-');
  const src = join(dir, 'src');
  mkdirSync(join(src, 'pkg/bin'), { recursive: true });
  mkdirSync(join(src, 'dev'), { recursive: true });
  writeFileSync(join(src, 'pkg/bin/tool'), '#!/bin/sh\n', { mode: 0o755 });
  writeFileSync(join(src, 'pkg/README'), 'readme');
  writeFileSync(join(src, 'dev/not-a-device'), '');
  symlinkSync('tool', join(src, 'pkg/bin/alias'));
  const out: Record<string, string> = {};
  for (const [name, flag] of [['plain.tar', ''], ['a.tar.gz', '-z'], ['a.tar.xz', '-J'], ['a.tar.bz2', '-j']] as const) {
    const file = join(dir, name);
    execFileSync('tar', ['-c', ...(flag ? [flag] : []), '-f', file, '--owner=1234', '--group=1234', '-C', src, '.']);
    out[name] = file;
  }
  // Same content under a misleading name: detection must not trust the extension.
  execFileSync('cp', [out['a.tar.xz']!, join(dir, 'misnamed.tar.gz')]);
  out['misnamed.tar.gz'] = join(dir, 'misnamed.tar.gz');
  return out;
}

test('unpackTar handles gzip/xz/bzip2/plain (by magic), drops owners, skips dev/* at /', async () => {
  const archives = makeArchives();
  for (const [name, file] of Object.entries(archives)) {
    const root = tempDir('vagga-root-');
    await unpackTar(root, file, root, '', true);
    assert.equal(readFileSync(join(root, 'pkg/README'), 'utf8'), 'readme', name);
    assert.equal(statSync(join(root, 'pkg/bin/tool')).mode & 0o777, 0o755, name);
    assert.equal(readlinkSync(join(root, 'pkg/bin/alias')), 'tool');
    assert.equal(statSync(join(root, 'pkg/README')).uid, process.getuid!(), `${name}: owner not preserved`);
    assert.deepEqual(readdirSync(join(root, 'dev')), [], `${name}: dev/* skipped at /`);
  }
});

test('unpackTar with subdir merges that directory into path; 0755 intermediate dirs; missing subdir errors', async () => {
  const archives = makeArchives();
  const root = tempDir('vagga-root-');
  mkdirSync(join(root, 'usr/lib/pkg/bin'), { recursive: true });
  writeFileSync(join(root, 'usr/lib/pkg/keep'), 'kept');
  await unpackTar(root, archives['a.tar.gz']!, join(root, 'usr/lib/pkg'), 'pkg', false);
  assert.deepEqual(readdirSync(join(root, 'usr/lib/pkg')).sort(), ['README', 'bin', 'keep']);
  assert.equal(readFileSync(join(root, 'usr/lib/pkg/bin/tool'), 'utf8'), '#!/bin/sh\n');
  assert.deepEqual(readdirSync(root).sort(), ['usr'], 'the temp unpack dir is gone');
  await unpackTar(root, archives['a.tar.gz']!, join(root, 'opt/deep/x'), './pkg/', false);
  assert.equal(statSync(join(root, 'opt/deep')).mode & 0o777, 0o755);
  await assert.rejects(unpackTar(root, archives['a.tar.gz']!, join(root, 'y'), 'nope', false), /^VaggaError: "nope" is not found in archive$/m);
  await assert.rejects(unpackTar(root, archives['a.tar.gz']!, join(root, 'y'), 'nope', false), (e: any) => e.exitCode === 121);
});

test('mergeMove replaces files and symlinks but merges real directories', async () => {
  const base = tempDir('vagga-mm-');
  mkdirSync(join(base, 'src/d'), { recursive: true });
  writeFileSync(join(base, 'src/d/new'), 'n');
  writeFileSync(join(base, 'src/f'), 'new');
  mkdirSync(join(base, 'dest/d'), { recursive: true });
  writeFileSync(join(base, 'dest/d/old'), 'o');
  symlinkSync('/nowhere', join(base, 'dest/f'));
  await mergeMove(join(base, 'src'), join(base, 'dest'));
  assert.deepEqual(readdirSync(join(base, 'dest/d')).sort(), ['new', 'old']);
  assert.ok(lstatSync(join(base, 'dest/f')).isFile());
  assert.equal(readFileSync(join(base, 'dest/f'), 'utf8'), 'new');
});

test('!Tar and !Download build from a project file (prepare checks the sha256 prefix)', async () => {
  const archives = makeArchives();
  const project = tempDir('vagga-proj-');
  execFileSync('cp', [archives['a.tar.gz']!, join(project, 'pkg.tgz')]);
  const sha = execFileSync('sha256sum', [join(project, 'pkg.tgz')]).toString().slice(0, 64);
  const root = tempDir('vagga-root-');
  const log = { info() {}, warn() {}, debug() {} };
  const pctx = { projectRoot: project, cacheDir: join(project, 'cache'), settings: {} as never, log, signal: new AbortController().signal };
  const bctx = { root, projectRoot: project, cacheDir: join(project, 'cache') } as unknown as BuildContext;

  const tarP = validate(def('Tar').schema, map({ url: './pkg.tgz', sha256: sha.slice(0, 12).toUpperCase(), path: '/opt/p', subdir: 'pkg' }));
  await def('Tar').prepare!(tarP, pctx);
  await def('Tar').build!(tarP, bctx);
  assert.equal(readFileSync(join(root, 'opt/p/README'), 'utf8'), 'readme');

  const bad = { ...tarP, sha256: '12345678' };
  await assert.rejects(def('Tar').prepare!(bad, pctx), new RegExp(`^VaggaError: Hashsum mismatch: expected 12345678 but was ${sha}$`, 'm'));
  await assert.rejects(def('Tar').prepare!({ ...tarP, url: './missing.tgz' }, pctx), /does not exist in the project/);

  const dl = validate(def('Download').schema, map({ url: './pkg.tgz', path: '/usr/share/x/pkg.tgz', mode: '0o600' }));
  await def('Download').prepare!(dl, pctx);
  await def('Download').build!(dl, bctx);
  const st = statSync(join(root, 'usr/share/x/pkg.tgz'));
  assert.equal(st.mode & 0o777, 0o600);
  assert.equal(statSync(join(root, 'usr/share')).mode & 0o777, 0o755);
});

test('a project file an earlier step makes: prepare defers, !Download into /work writes the project, !Tar reads it (regression: issue 14)', async () => {
  const archives = makeArchives();
  const project = tempDir('vagga-proj-');
  const root = tempDir('vagga-root-');
  execFileSync('cp', [archives['a.tar.gz']!, join(project, 'src.tgz')]);
  const sha = execFileSync('sha256sum', [join(project, 'src.tgz')]).toString().slice(0, 64);
  const log = { info() {}, warn() {}, debug() {} };
  const pctx = { projectRoot: project, cacheDir: join(project, 'cache'), settings: {} as never, log, signal: new AbortController().signal };
  const bctx = { root, projectRoot: project, cacheDir: join(project, 'cache') } as unknown as BuildContext;
  // Vagga's example: !Download {path: /work/FILE} then !Tar {url: ./FILE}.
  const dl = validate(def('Download').schema, map({ url: './src.tgz', path: '/work/made/copy.tgz' }));
  const tarP = validate(def('Tar').schema, map({ url: './made/copy.tgz', sha256: sha.slice(0, 16), path: '/opt/p', subdir: 'pkg' }));
  const earlier = [{ tag: 'Download', params: dl, pos }];
  // The first step of a build has nothing before it that could make the file: it fails up front.
  await assert.rejects(def('Tar').prepare!(tarP, pctx), /!Tar: file "\.\/made\/copy\.tgz" does not exist in the project/);
  await def('Download').prepare!(dl, pctx);
  await def('Tar').prepare!(tarP, { ...pctx, precedingSteps: earlier });
  await def('Download').build!(dl, bctx);
  assert.equal(readFileSync(join(project, 'made/copy.tgz')).length, statSync(join(project, 'src.tgz')).size, 'into the project, as Vagga');
  assert.equal(statSync(join(project, 'made/copy.tgz')).mode & 0o777, 0o644);
  await def('Tar').build!(tarP, bctx);
  assert.equal(readFileSync(join(root, 'opt/p/README'), 'utf8'), 'readme');
  // Checked when read: the sha256, a file still missing, a symlink out of the project.
  await assert.rejects(def('Tar').build!({ ...tarP, sha256: '12345678' }, bctx), /Hashsum mismatch: expected 12345678/);
  await assert.rejects(def('Tar').build!({ ...tarP, url: './never.tgz' }, bctx), /!Tar: file "\.\/never\.tgz" does not exist in the project/);
  const outside = tempDir('vagga-outside-');
  execFileSync('cp', [archives['a.tar.gz']!, join(outside, 'secret.tgz')]);
  symlinkSync(join(outside, 'secret.tgz'), join(project, 'late.tgz'));
  await assert.rejects(def('Tar').build!({ ...tarP, url: './late.tgz', sha256: undefined }, bctx), /url: "\.\/late\.tgz" resolves to .* outside the project/);
  await assert.rejects(def('Tar').prepare!({ ...tarP, url: './late.tgz' }, { ...pctx, precedingSteps: earlier }), /outside the project/);
  // !Download into /work may not write through a symlink out of the project either.
  symlinkSync(outside, join(project, 'out'));
  await assert.rejects(def('Download').build!({ ...dl, path: '/work/out/x' }, bctx), /outside the project/);
  assert.deepEqual(readdirSync(outside), ['secret.tgz']);
});
