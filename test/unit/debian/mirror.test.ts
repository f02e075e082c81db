import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { VaggaError } from '../../../src/errors/vagga-error.js';
import {
  mirrorKey,
  normalizeMirror,
  osReleaseId,
  parseAptSources,
  parseDeb822Sources,
  parseOneLineSources,
  pickBaseMirror,
  readHostAptSources,
  resolveDebianMirror,
} from '../../../src/steps/debian/mirror.js';
import { tempDir } from '../temp-dir.js';

const DEB822 = `Types: deb
# http://archive.example/debian/20250520T000000Z
URIs: http://mirror.example/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
# a comment inside the stanza
URIs: http://security.example/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
`;

test('deb822: stanzas, comments inside stanzas, several suites', () => {
  const entries = parseDeb822Sources(DEB822, 'debian.sources');
  assert.equal(entries.length, 2);
  assert.deepEqual(entries[0]!.types, ['deb']);
  assert.deepEqual(entries[0]!.uris, ['http://mirror.example/debian']);
  assert.deepEqual(entries[0]!.suites, ['bookworm', 'bookworm-updates']);
  assert.deepEqual(entries[0]!.components, ['main']);
  assert.equal(entries[0]!.enabled, true);
  assert.equal(entries[0]!.line, 1);
  assert.deepEqual(entries[1]!.suites, ['bookworm-security']);
  assert.equal(entries[1]!.line, 8);
});

test('deb822: Enabled: no, case-insensitive field names, continuation lines, deb-src', () => {
  const text = [
    'types: deb',
    'uris: http://off.example/debian',
    'suites: bookworm',
    'Enabled: no',
    '',
    '',
    'Types: deb-src',
    'URIs: http://src.example/debian',
    'Suites: bookworm',
    '',
    'Types: deb deb-src',
    'URIs: http://a.example/debian',
    '  http://b.example/debian',
    'Suites: trixie',
    'Components: main',
    '  contrib',
    'Signed-By:',
    ' -----BEGIN PGP PUBLIC KEY BLOCK-----',
    ' .',
    ' mQINBGT...',
    ' -----END PGP PUBLIC KEY BLOCK-----',
  ].join('\n');
  const entries = parseDeb822Sources(text, 'x.sources');
  assert.equal(entries.length, 3);
  assert.equal(entries[0]!.enabled, false);
  assert.deepEqual(entries[1]!.types, ['deb-src']);
  assert.deepEqual(entries[2]!.uris, ['http://a.example/debian', 'http://b.example/debian']);
  assert.deepEqual(entries[2]!.components, ['main', 'contrib']);
  assert.equal(entries[2]!.line, 11);
  assert.equal(pickBaseMirror(entries), 'http://a.example/debian');
});

test('one-line: options, comments, deb-src, blank and malformed lines', () => {
  const text = [
    '# deb http://commented.example/debian bookworm main',
    '',
    'deb-src http://src.example/debian bookworm main',
    'deb [arch=amd64 signed-by=/usr/share/keyrings/x.gpg] http://opt.example/debian/ bookworm main contrib # trailing',
    'deb [ arch=amd64 ] http://spaced.example/debian bookworm main',
    '   deb http://indent.example/debian sid main',
    'deb http://nosuite.example/debian',
    'deb [broken http://broken.example/debian bookworm main',
  ].join('\n');
  const entries = parseOneLineSources(text, 'sources.list');
  assert.deepEqual(
    entries.map((e) => [e.types[0], e.uris[0], e.suites[0], e.components, e.line]),
    [
      ['deb-src', 'http://src.example/debian', 'bookworm', ['main'], 3],
      ['deb', 'http://opt.example/debian/', 'bookworm', ['main', 'contrib'], 4],
      ['deb', 'http://spaced.example/debian', 'bookworm', ['main'], 5],
      ['deb', 'http://indent.example/debian', 'sid', ['main'], 6],
    ],
  );
  // deb-src is skipped; the first deb entry wins, normalized without the trailing slash.
  assert.equal(pickBaseMirror(entries), 'http://opt.example/debian');
});

test('the security archive is never the base mirror; plain release names are preferred', () => {
  const security = parseOneLineSources(
    'deb http://security.example/debian-security bookworm-security main\ndeb http://old.example/debian-security buster/updates main\n',
    'a.list',
  );
  assert.equal(pickBaseMirror(security), undefined);
  const mixed = parseOneLineSources(
    [
      'deb http://security.example/debian-security bookworm-security main',
      'deb http://updates.example/debian bookworm-updates main',
      'deb http://base.example/debian bookworm main',
    ].join('\n'),
    'b.list',
  );
  assert.equal(pickBaseMirror(mixed), 'http://base.example/debian');
  // Only -updates entries: still an archive mirror, used as fallback.
  const updatesOnly = parseOneLineSources('deb http://updates.example/debian bookworm-updates main\n', 'c.list');
  assert.equal(pickBaseMirror(updatesOnly), 'http://updates.example/debian');
});

test('unusable transports are skipped', () => {
  const entries = parseOneLineSources(
    'deb cdrom:[Debian GNU/Linux 12]/ bookworm main\ndeb mirror+file:/etc/apt/mirrors.txt bookworm main\ndeb file:///srv/debian bookworm main\n',
    'd.list',
  );
  assert.equal(pickBaseMirror(entries), 'file:///srv/debian');
});

test('parseAptSources picks the format by file name', () => {
  const entries = parseAptSources([
    { path: '/etc/apt/sources.list', text: 'deb http://one.example/debian bookworm main\n' },
    { path: '/etc/apt/sources.list.d/debian.sources', text: DEB822 },
  ]);
  assert.deepEqual(
    entries.map((e) => e.uris[0]),
    ['http://one.example/debian', 'http://mirror.example/debian', 'http://security.example/debian-security'],
  );
});

test('normalizeMirror and mirrorKey', () => {
  assert.equal(normalizeMirror(' http://mirror.example/debian// '), 'http://mirror.example/debian');
  assert.match(mirrorKey('http://mirror.example/debian'), /^[0-9a-f]{8}$/);
  assert.equal(mirrorKey('http://mirror.example/debian/'), mirrorKey('http://mirror.example/debian'));
  assert.notEqual(mirrorKey('http://other.example/debian'), mirrorKey('http://mirror.example/debian'));
});

test('osReleaseId', () => {
  assert.equal(osReleaseId('NAME="Debian GNU/Linux"\nID=debian\n'), 'debian');
  assert.equal(osReleaseId('ID="ubuntu"\nID_LIKE=debian\n'), 'ubuntu');
  assert.equal(osReleaseId('NAME=x\n'), undefined);
});

const debianHost = { files: [{ path: '/etc/apt/sources.list.d/debian.sources', text: DEB822 }], osRelease: 'ID=debian\n' };

test('resolveDebianMirror: the setting wins, else the host sources', () => {
  assert.equal(resolveDebianMirror('http://setting.example/debian/', debianHost), 'http://setting.example/debian');
  assert.equal(resolveDebianMirror(undefined, debianHost), 'http://mirror.example/debian');
  assert.equal(resolveDebianMirror('  ', debianHost), 'http://mirror.example/debian');
});

function expectMirrorError(fn: () => unknown, message: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof VaggaError);
    assert.equal(err.exitCode, 121);
    assert.match(err.message, message);
    assert.match(err.hint ?? '', /`debian-mirror` setting in ~\/\.config\/vagga\/settings\.yaml/);
    assert.match(err.hint ?? '', /debian-mirror: http:\/\/\.\.\.\/debian/);
    return true;
  });
}

test('resolveDebianMirror errors name the debian-mirror setting', () => {
  expectMirrorError(() => resolveDebianMirror(undefined, { files: [], osRelease: 'ID=debian\n' }), /no usable `deb` entry \(looked at: no apt sources files found\)/);
  expectMirrorError(
    () =>
      resolveDebianMirror(undefined, {
        files: [{ path: '/etc/apt/sources.list', text: 'deb http://security.example/debian-security bookworm-security main\n' }],
      }),
    /looked at: \/etc\/apt\/sources\.list\)/,
  );
  expectMirrorError(() => resolveDebianMirror(undefined, { ...debianHost, osRelease: 'ID=ubuntu\n' }), /the host system is "ubuntu"/);
  expectMirrorError(() => resolveDebianMirror('mirror.example/debian', debianHost), /must be an http:\/\/, https:\/\/ or file:\/\/ URL/);
});

test('readHostAptSources reads in apt order and only .list/.sources files', () => {
  const etc = tempDir('vagga-etc-');
  mkdirSync(join(etc, 'apt', 'sources.list.d'), { recursive: true });
  writeFileSync(join(etc, 'apt', 'sources.list'), '# empty\n');
  writeFileSync(join(etc, 'apt', 'sources.list.d', 'b.sources'), DEB822);
  writeFileSync(join(etc, 'apt', 'sources.list.d', 'a.list'), 'deb http://a.example/debian bookworm main\n');
  writeFileSync(join(etc, 'apt', 'sources.list.d', 'c.list.disabled'), 'deb http://disabled.example/debian bookworm main\n');
  writeFileSync(join(etc, 'os-release'), 'ID=debian\n');
  const host = readHostAptSources(etc);
  assert.deepEqual(
    host.files.map((f) => f.path.slice(etc.length)),
    ['/apt/sources.list', '/apt/sources.list.d/a.list', '/apt/sources.list.d/b.sources'],
  );
  assert.equal(resolveDebianMirror(undefined, host), 'http://a.example/debian');
  const empty = readHostAptSources(join(etc, 'missing'));
  assert.deepEqual(empty, { files: [], osRelease: undefined });
});
