/**
 * End-to-end: keeping the build cache in check (issue 9 part 4) on the offline busybox base,
 * as an ordinary user (harness.ts). Each test has a cache dir of its own (`cache-dir`), so
 * the layer store holds exactly the layers its builds made.
 *  - `_clean --cache -n` lists the layers and removes nothing, `--at-least 1day` removes
 *    nothing, `_clean --cache` removes every layer (through trash/, in a user namespace: the
 *    `!Sh` step leaves a 0700 dir of a subordinate uid the user cannot delete), and the next
 *    build runs every step again;
 *  - `_clean --old -n` and `_list --containers` show the build cache's size;
 *  - the `build-cache-max-size` budget: after a build, the older version's layers go and the
 *    layers of the build just made stay.
 */
import { strict as assert } from 'node:assert';
import { chownSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { cleanupStage, e2eEnv, makeProject, show, vagga, writeProjectFile, type RunResult } from './harness.js';

after(cleanupStage);

const yaml = (marker: string) => `
containers:
  bb:
    setup:
    - !Tar { url: ./busybox.tar }
    - !Sh |
        mkdir -p /secret
        echo ${marker} > /secret/blob
        chown -R 1000:1000 /secret
        chmod 700 /secret
        echo ${marker} > /etc/marker
`;

const made: string[] = [];
after(() => { for (const dir of made) rmSync(dir, { recursive: true, force: true }); });

/** A fresh cache dir owned by the test user; returns its path. */
async function freshCacheDir(tag: string): Promise<string> {
  const env = await e2eEnv();
  const dir = `${env.cacheDir}-${tag}-${process.pid}`;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { mode: 0o755 });
  if (env.asRoot) chownSync(dir, env.uid, env.gid);
  made.push(dir);
  return dir;
}

/** Layer dir names in the store (layers/ is the user's own dir: listable without a namespace). */
function layers(cache: string): string[] {
  return readdirSync(join(cache, '.layers', 'layers')).sort();
}

/** `made` of each layer in the store, from its meta.json. */
function madeTexts(cache: string): string[] {
  return layers(cache).map((n) => metaOfLayer(cache, n).made).sort();
}

interface Meta { made: string; stack: string[]; bytes: number }

/** meta.json of layer `name` (written by the user's namespace root: readable). */
function metaOfLayer(cache: string, name: string): Meta {
  return JSON.parse(readFileSync(join(cache, '.layers', 'layers', name, 'meta.json'), 'utf8')) as Meta;
}

/** meta.json of the layer whose `made` is `text`. */
function metaOf(cache: string, text: string): Meta {
  return layers(cache).map((n) => metaOfLayer(cache, n)).find((m) => m.made === text)!;
}

/** `/etc/marker` as layer `name` wrote it (the file belongs to the user: readable), or ''. */
function markerIn(cache: string, name: string): string {
  try {
    return readFileSync(join(cache, '.layers', 'layers', name, 'diff', 'etc', 'marker'), 'utf8').trim();
  } catch {
    return '';
  }
}

function ok(r: RunResult): RunResult {
  assert.equal(r.status, 0, show(r));
  return r;
}

describe('build cache: _clean --cache and sizes', () => {
  test('dry run, --at-least, then every layer removed; the next build runs every step', async () => {
    const cache = await freshCacheDir('gc');
    const settings = `cache-dir: ${cache}\n`;
    const dir = await makeProject({ 'vagga.yaml': yaml('one') }, { name: 'cache-clean' });
    ok(await vagga(dir, ['_build', 'bb'], { settings, timeoutMs: 300_000 }));
    await writeProjectFile(dir, 'vagga.yaml', yaml('two'));
    const second = ok(await vagga(dir, ['_build', 'bb'], { settings, timeoutMs: 300_000 }));
    assert.match(second.stderr, /^Step 1\/2:? !Tar .*\(cached\)$/m, show(second));
    // !Tar, both !Sh versions, both finish layers, each with its size recorded at commit.
    assert.equal(layers(cache).length, 5, madeTexts(cache).join('\n'));
    for (const n of layers(cache)) assert.ok(metaOfLayer(cache, n).bytes > 0, `${n}: ${JSON.stringify(metaOfLayer(cache, n))}`);

    const dry = ok(await vagga(dir, ['_clean', '--cache', '-n'], { settings }));
    const lines = dry.stderr.split('\n').filter((l) => l.startsWith('Would remove layer '));
    assert.equal(lines.length, 5, show(dry));
    assert.ok(lines.some((l) => /^Would remove layer bb step 2\/2 !Sh .*mkdir.* \(\d+(\.\d)?[KMG]?B, last used (just now|\d+ minutes? ago)\)$/.test(l)), show(dry));
    assert.match(dry.stderr, /^Would free \S+ of the build cache's \S+ \(5 of 5 layers; .*\.layers\)$/m, show(dry));
    assert.equal(layers(cache).length, 5, 'a dry run removes nothing');

    const recent = ok(await vagga(dir, ['_clean', '--cache', '--at-least', '1day'], { settings }));
    assert.match(recent.stderr, /^Removed 0 layers \(0B\) from the build cache; 5 layers \(\S+\) left$/m, show(recent));
    assert.equal(layers(cache).length, 5);

    const oldDry = ok(await vagga(dir, ['_clean', '--old', '-n'], { settings }));
    assert.match(oldDry.stderr, /^Would remove \.vagga\/\.roots\/bb\.[0-9a-f]{8} \(\S+\)$/m, show(oldDry));
    assert.match(oldDry.stderr, /^Build cache: 5 layers, \S+ in .*\.layers \(shared by your projects; `vagga _clean --cache` removes it\)$/m, show(oldDry));
    const list = ok(await vagga(dir, ['_list', '--containers'], { settings }));
    assert.match(list.stdout, /^bb +2 versions +\S+ \(apparent \S+\)  linked [0-9a-f]{8}, current$/m, show(list));
    assert.match(list.stderr, /^Build cache: 5 layers, /m, show(list));

    const clean = ok(await vagga(dir, ['_clean', '--cache'], { settings }));
    assert.equal(clean.stderr.split('\n').filter((l) => l.startsWith('Removing layer ')).length, 5, show(clean));
    assert.match(clean.stderr, /^Removed 5 layers \(\S+\) from the build cache; 0 layers \(0B\) left$/m, show(clean));
    assert.deepEqual(layers(cache), []);
    for (const sub of ['trash', 'tmp']) assert.deepEqual(readdirSync(join(cache, '.layers', sub)), [], `${sub}/ is emptied`);

    const again = ok(await vagga(dir, ['_build', '--force', 'bb'], { settings, timeoutMs: 300_000 }));
    assert.match(again.stderr, /^Step 1\/2:? !Tar /m, show(again));
    assert.match(again.stderr, /^Step 2\/2:? !Sh /m, show(again));
    assert.doesNotMatch(again.stderr, /\(cached\)/, show(again));
    assert.equal(layers(cache).length, 3);
  });

  test('build-cache-max-size: the older build\'s layers go, the latest build\'s stay', async () => {
    const cache = await freshCacheDir('budget');
    const settings = `cache-dir: ${cache}\nbuild-cache-max-size: 1\n`;
    const dir = await makeProject({ 'vagga.yaml': yaml('one') }, { name: 'cache-budget' });
    const first = ok(await vagga(dir, ['_build', 'bb'], { settings, timeoutMs: 300_000 }));
    // Over the budget, but every layer belongs to the build just made.
    assert.doesNotMatch(first.stderr, /over its budget/, show(first));
    assert.equal(layers(cache).length, 3);
    await writeProjectFile(dir, 'vagga.yaml', yaml('two'));
    const second = ok(await vagga(dir, ['_build', 'bb'], { settings, timeoutMs: 300_000 }));
    assert.match(second.stderr, /^Build cache over its budget \(\S+ of 1B\): removed 2 layers \(\S+\)$/m, show(second));
    const left = madeTexts(cache);
    assert.deepEqual(left.map((m) => m.replace(/ (!\w+) .*/, ' $1')), ['bb finish', 'bb step 1/2 !Tar', 'bb step 2/2 !Sh'], left.join('\n'));
    // What stays is the stack of the latest build: its finish layer's, whose !Sh wrote "two".
    assert.deepEqual(metaOf(cache, 'bb finish').stack.sort(), layers(cache));
    assert.deepEqual(layers(cache).map((n) => markerIn(cache, n)).filter(Boolean), ['two']);
    // The kept layers are the ones the next build of the same version would use.
    const third = ok(await vagga(dir, ['_build', '--force', 'bb'], { settings, timeoutMs: 300_000 }));
    assert.match(third.stderr, /^Step 2\/2:? !Sh .*\(cached\)$/m, show(third));
  });
});
