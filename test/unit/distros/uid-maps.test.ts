import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config, ContainerConfig, Settings } from '../../../src/config/model.js';
import { ensureBuiltWith, type BuildDeps } from '../../../src/builder/ensure-built.js';
import type { BuilderRunInput } from '../../../src/builder/run-builder.js';
import { VaggaError } from '../../../src/errors/vagga-error.js';
import { idMappingFor, type IdHost } from '../../../src/sandbox/idmap.js';
import { explainIdMapFailure, uncoveredEntry, usernsSysctlProblem, type DiagnoseHost } from '../../../src/sandbox/idmap-diagnose.js';
import { checkSetuidHelper } from '../../../src/sandbox/tools.js';
import { MissingToolError } from '../../../src/errors/vagga-error.js';
import { removeTempTree, tempDir } from '../temp-dir.js';

const FULL = [{ start: 0, end: 65535 }];

function host(subuid: string | null, subgid: string | null): IdHost {
  return { uid: 1001, gid: 1001, userName: 'vtest', subuid, subgid, procUidMap: '', procGidMap: '', warn: () => {} };
}

test('the four subuid situations users hit each give an instruction (user-pain rows 1-4)', () => {
  // Row 3: subuid filled in, subgid not.
  assert.throws(() => idMappingFor(FULL, FULL, host('vtest:100000:65536\n', '')), (e: VaggaError) =>
    e.exitCode === 121 && /allowed subgids is too small/.test(e.message) && /usermod --add-subgids 100000-165535 vtest/.test(e.hint ?? ''));
  // Range too small: Vagga's exact message.
  assert.throws(() => idMappingFor(FULL, FULL, host('vtest:100000:1000\n', 'vtest:100000:65536\n')),
    /Number of allowed subuids is too small\. Required \[0-65535\], allowed \[100000-100999\]\. You either need to increase allowed numbers in \/etc\/subuid/);
  // Row 4: helper without setuid.
  assert.throws(() => checkSetuidHelper('/usr/bin/newuidmap', { mode: 0o100755, uid: 0 }), /not setuid root[\s\S]*/);
  // Row 2: missing helper names the Debian package.
  const missing = new MissingToolError('newuidmap', 'uidmap', 'it maps the /etc/subuid range into the container');
  assert.match(missing.hint ?? '', /apt-get install uidmap/);
});

function diag(over: Partial<DiagnoseHost> & { sysctl?: Record<string, string> } = {}): DiagnoseHost {
  return {
    idHost: host('vtest:100000:65536\n', 'vtest:100000:65536\n'),
    readSysctl: (p) => over.sysctl?.[p],
    helperStat: () => ({ uid: 0, mode: 0o104755 }),
    ...over,
  };
}

const MAP = idMappingFor(FULL, FULL, host('vtest:100000:65536\n', 'vtest:100000:65536\n'));
const FAIL = 'newuidmap: write to uid_map failed: Operation not permitted';

test('newuidmap failure (row 1): kernel sysctls are checked first, with the sysctl command', () => {
  assert.equal(usernsSysctlProblem(() => undefined), undefined);
  const e = explainIdMapFailure('newuidmap', '/usr/bin/newuidmap', FAIL, MAP, diag({ sysctl: { '/proc/sys/kernel/apparmor_restrict_unprivileged_userns': '1' } }));
  assert.match(e.message, /AppArmor restricts unprivileged user namespaces/);
  assert.match(e.message, /write to uid_map failed/);
  assert.match(e.hint ?? '', /sysctl -w kernel\.apparmor_restrict_unprivileged_userns=0/);
  const off = explainIdMapFailure('newuidmap', '/usr/bin/newuidmap', FAIL, MAP, diag({ sysctl: { '/proc/sys/user/max_user_namespaces': '0' } }));
  assert.match(off.hint ?? '', /user\.max_user_namespaces=28633/);
});

test('newuidmap failure: non-setuid helper, missing range, map outside the ranges, else a generic hint', () => {
  const notSetuid = explainIdMapFailure('newuidmap', '/usr/bin/newuidmap', FAIL, MAP, diag({ helperStat: () => ({ uid: 0, mode: 0o100755 }) }));
  assert.match(notSetuid.hint ?? '', /chmod u\+s \/usr\/bin\/newuidmap/);
  const noGid = explainIdMapFailure('newgidmap', '/usr/bin/newgidmap', 'newgidmap: write to gid_map failed', MAP, diag({ idHost: host('vtest:100000:65536\n', '') }));
  assert.match(noGid.message, /\/etc\/subgid has no range for user "vtest"/);
  assert.match(noGid.hint ?? '', /usermod --add-subuids \d+-\d+ --add-subgids/);
  const moved = explainIdMapFailure('newuidmap', '/usr/bin/newuidmap', FAIL, MAP, diag({ idHost: host('vtest:200000:65536\n', 'vtest:200000:65536\n') }));
  assert.match(moved.message, /uid map \(inside 1 -> host 100000\.\.165534\) is not inside the ranges \/etc\/subuid gives user "vtest"/);
  const other = explainIdMapFailure('newuidmap', '/usr/bin/newuidmap', FAIL, MAP, diag());
  assert.match(other.message, /newuidmap could not set up the container's uid map/);
  assert.equal(other.exitCode, 121);
  assert.equal(uncoveredEntry(MAP.uids, [{ start: 100000, count: 65536 }]), undefined);
});

const settings: Settings = { buildLockWait: false, proxyEnvVars: true, propagateEnviron: [], environ: {}, externalVolumes: {} };

test('a container built with one uid map is rebuilt when the user\'s subuid range changes, reused otherwise', async () => {
  const root = tempDir('vuidmap-');
  try {
    const c: ContainerConfig = {
      name: 'app', setup: [], environ: {}, volumes: {}, uids: FULL, gids: FULL, autoClean: false, dataDirs: [],
      resolvConfPath: '/etc/resolv.conf', hostsFilePath: '/etc/hosts', defaultShell: [], pos: { file: join(root, 'vagga.yaml'), line: 1, col: 1 },
    };
    const config: Config = { projectRoot: root, mainFile: join(root, 'vagga.yaml'), files: [], containers: { app: c }, commands: {}, warnings: [] };
    let subids = 'vtest:100000:65536\n';
    const calls: BuilderRunInput[] = [];
    let output = '';
    const deps: BuildDeps = {
      version: () => `cafe0001${'0'.repeat(120)}`,
      idMapping: (u, g) => idMappingFor(u, g, host(subids, subids)),
      stepDef: () => undefined,
      runBuilder: async (input) => {
        calls.push(input);
        writeFileSync(join(input.buildDir, 'root', 'built-with'), JSON.stringify(input.idMapping.uids));
        return { ok: true };
      },
      cacheDir: () => join(root, 'cache'),
      write: (t) => { output += t; },
      now: () => Date.now(),
    };
    const first = await ensureBuiltWith(deps, config, settings, 'app', { verbosity: 1 });
    const saved = readFileSync(join(first.rootfs, '..', 'uid_map'), 'utf8');
    assert.match(saved, /^ +0 +1001 +1\n +1 +100000 +65535\n$/);
    await ensureBuiltWith(deps, config, settings, 'app', { verbosity: 1 });
    assert.equal(calls.length, 1, 'same map: the version is reused');

    subids = 'vtest:300000:65536\n';
    const second = await ensureBuiltWith(deps, config, settings, 'app', { verbosity: 1 });
    assert.equal(calls.length, 2, 'another map: rebuilt');
    assert.match(output, /built with a different uid map; rebuilding it/);
    assert.match(readFileSync(join(second.rootfs, '..', 'uid_map'), 'utf8'), / +1 +300000 +65535\n$/);
    assert.match(readFileSync(join(second.rootfs, 'built-with'), 'utf8'), /"outside":300000/);
    assert.ok(existsSync(second.rootfs));
  } finally {
    removeTempTree(root);
  }
});
