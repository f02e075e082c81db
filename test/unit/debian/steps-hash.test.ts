import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { QNode } from '../../../src/config/qnode.js';
import { validate } from '../../../src/config/schema.js';
import { ConfigError } from '../../../src/errors/vagga-error.js';
import { Digest, shortHash } from '../../../src/version/digest.js';
import { debianStep } from '../../../src/steps/debian.js';
import { buildDepsStep, installStep } from '../../../src/steps/packages.js';
import { stepDef } from '../../../src/steps/registry.js';
import type { VersionContext } from '../../../src/steps/step.js';

const pos = { file: 'vagga.yaml', line: 3, col: 7 };
const scalar = (text: string): QNode => ({ kind: 'scalar', text, plain: true, pos });
const seq = (...items: string[]): QNode => ({ kind: 'seq', items: items.map(scalar), pos });
const vctx = {} as VersionContext;

/** Container digest head: default uids/gids (vagga-inventory.md §2.1). */
function containerDigest(): Digest {
  const d = new Digest();
  d.list('uids', ['0-65536']);
  d.list('gids', ['0-65536']);
  return d;
}

test('!Install hash reproduces Vagga vectors (inventory §2.1)', () => {
  const params = validate(installStep.schema, seq('bc'));
  assert.deepEqual(params, { packages: ['bc'] });

  // `!Ubuntu trusty` + `!Install [bc]` -> 010798c2
  const ubuntu = containerDigest();
  ubuntu.marker('Ubuntu');
  ubuntu.field('codename', 'trusty');
  ubuntu.marker('Install');
  installStep.hash(params, ubuntu, vctx);
  assert.equal(shortHash(ubuntu.hex()), '010798c2');

  // `!Alpine v3.4` + `!Install [bc]` -> 519f0af9
  const alpine = containerDigest();
  alpine.marker('Alpine');
  alpine.field('version', 'v3.4');
  alpine.marker('Install');
  installStep.hash(params, alpine, vctx);
  assert.equal(shortHash(alpine.hex()), '519f0af9');
});

test('!BuildDeps hashes the same `packages` list; only the marker differs', () => {
  const params = validate(buildDepsStep.schema, seq('gcc', 'make=4.3-4.1'));
  const a = new Digest({ trace: true });
  buildDepsStep.hash(params, a, vctx);
  assert.deepEqual(a.trace, ['  packages: ["gcc","make=4.3-4.1"]']);
  const raw = new Digest();
  raw.list('packages', ['gcc', 'make=4.3-4.1']);
  assert.equal(a.hex(), raw.hex());
});

test('package list edge cases: null is empty, order matters, non-list rejected', () => {
  assert.deepEqual(validate(installStep.schema, scalar('')), { packages: [] });
  const h = (pkgs: string[]): string => {
    const d = new Digest();
    installStep.hash({ packages: pkgs }, d, vctx);
    return d.hex();
  };
  assert.notEqual(h(['a', 'b']), h(['b', 'a']));
  assert.throws(() => validate(installStep.schema, scalar('bc')), ConfigError);
});

test('!Debian: scalar suite, hashed as `suite` only', () => {
  const params = validate(debianStep.schema, scalar('bookworm'));
  assert.deepEqual(params, { suite: 'bookworm' });
  const d = new Digest({ trace: true });
  debianStep.hash(params, d, vctx);
  assert.deepEqual(d.trace, ['  suite: "bookworm"']);
  const raw = new Digest();
  raw.field('suite', 'bookworm');
  assert.equal(d.hex(), raw.hex());
  assert.throws(() => validate(debianStep.schema, scalar('Bookworm main')), /Expected a Debian suite name/);
  assert.throws(() => validate(debianStep.schema, seq('bookworm')), ConfigError);
});

test('the registry knows the steps', () => {
  assert.equal(stepDef('Debian'), debianStep);
  assert.equal(stepDef('Install'), installStep);
  assert.equal(stepDef('BuildDeps'), buildDepsStep);
});
