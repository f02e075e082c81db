/**
 * Every real vagga.yaml in shared/vagga-corpus must load (this needs every step tag of
 * inventory §1.4 in the step registry).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../../../src/config/load.js';
import { project } from './helpers.js';
import * as path from 'node:path';
import { SHARED_DIR } from '../shared-dir.js';
import { STEP_DEFS } from '../../../src/steps/registry.js';

const CORPUS = path.join(SHARED_DIR, 'vagga-corpus');

for (const name of readdirSync(CORPUS).filter((f) => f.endsWith('.yaml')).sort()) {
  test(`corpus: ${name} loads`, () => {
    const root = project({});
    copyFileSync(join(CORPUS, name), join(root, 'vagga.yaml'));
    const cfg = loadConfig(STEP_DEFS, root);
    assert.ok(Object.keys(cfg.containers).length + Object.keys(cfg.commands).length > 0);
    for (const c of Object.values(cfg.containers)) {
      for (const step of c.setup) assert.equal(typeof step.tag, 'string');
    }
  });
}
