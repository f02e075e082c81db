/** The container `image:` section (not in Vagga): parsed with file/line errors, and never part of the version hash. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../../../src/config/load.js';
import { STEP_DEFS } from '../../../src/steps/registry.js';
import { containerVersion } from '../../../src/version/container-version.js';
import { project, thrown } from '../config/helpers.js';

const yaml = (image: string) => `containers:
  app:
    environ: { A: b }
${image}    setup:
    - !Alpine v3.4
`;

test('image: entrypoint/cmd (list or shell string), work-dir, user, exposed-ports, labels', () => {
  const dir = project({ 'vagga.yaml': yaml(`    image:
      entrypoint: [/usr/bin/tini, --]
      cmd: exec server --port 80
      work-dir: /srv
      user: "33:33"
      exposed-ports: [80, 53/udp, "8443/tcp"]
      labels: { org.opencontainers.image.source: "https://example.org/x" }
`) });
  const c = loadConfig(STEP_DEFS, dir).containers.app!;
  assert.deepEqual(c.image, {
    entrypoint: ['/usr/bin/tini', '--'],
    cmd: ['/bin/sh', '-c', 'exec server --port 80'],
    workDir: '/srv',
    user: '33:33',
    exposedPorts: ['80/tcp', '53/udp', '8443/tcp'],
    labels: { 'org.opencontainers.image.source': 'https://example.org/x' },
  });
  assert.equal(loadConfig(STEP_DEFS, project({ 'vagga.yaml': yaml('') })).containers.app!.image, undefined);
});

test('image: unknown keys and bad values are config errors with file and line', () => {
  let err = thrown(() => loadConfig(STEP_DEFS, project({ 'vagga.yaml': yaml('    image:\n      command: [x]\n') })));
  assert.equal(err.exitCode, 126);
  assert.match(err.message, /Keys \{"command"\} are not expected/);
  assert.equal(err.pos?.line, 5);
  assert.match(err.message, /vagga\.yaml:5/);
  err = thrown(() => loadConfig(STEP_DEFS, project({ 'vagga.yaml': yaml('    image:\n      exposed-ports: [70000]\n') })));
  assert.match(err.message, /Expected a port like 8080 or 53\/udp \(1-65535\), got "70000"/);
  assert.equal(err.pos?.line, 5);
  err = thrown(() => loadConfig(STEP_DEFS, project({ 'vagga.yaml': yaml('    image:\n      work-dir: srv\n') })));
  assert.match(err.message, /Path must be absolute/);
});

test('image: does not change the container version hash (Vagga hashes only uids, gids, setup and data-dirs)', () => {
  const plainDir = project({ 'vagga.yaml': yaml('') });
  const withImage = project({ 'vagga.yaml': yaml('    image:\n      cmd: [/bin/true]\n      labels: { a: b }\n') });
  const h1 = containerVersion(STEP_DEFS, loadConfig(STEP_DEFS, plainDir), 'app').hash;
  const h2 = containerVersion(STEP_DEFS, loadConfig(STEP_DEFS, withImage), 'app').hash;
  assert.equal(h1, h2);
});
