/**
 * Which build-cache layers go (src/storage/layer-select.ts), on fake layers: least recently
 * used first, a layer with its descendants, the size budget, the protected stack of the
 * build just made, broken layers always.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { LayerInfo } from '../../../src/storage/layer-inventory.js';
import { formatAge } from '../../../src/storage/layer-report.js';
import { descendantsMap, lruOrder, selectAll, selectOverBudget, selectUnusedSince } from '../../../src/storage/layer-select.js';

/** A layer named `name` on top of `below` (a stack, bottom first). */
function layer(name: string, below: string[], bytes: number, lastUse: number, broken = false): LayerInfo {
  return { name, stack: [...below, name], bytes, lastUse, made: `made ${name}`, broken };
}

// Two containers sharing a base:  base <- a1 <- a2 (container a), base <- b1 (container b),
// and an older build of a whose last step was different: base <- a1 <- x2.
const base = layer('base', [], 100, 50);
const a1 = layer('a1', ['base'], 10, 40);
const a2 = layer('a2', ['base', 'a1'], 1, 40);
const b1 = layer('b1', ['base'], 20, 45);
const x2 = layer('x2', ['base', 'a1'], 5, 10);
const all = [a2, base, x2, b1, a1];
const names = (ls: readonly LayerInfo[]) => ls.map((l) => l.name);

test('LRU order: oldest last use first; ties: deeper stacks first, then name', () => {
  assert.deepEqual(names(lruOrder(all)), ['x2', 'a2', 'a1', 'b1', 'base']);
});

test('descendants: every layer whose stack holds a layer', () => {
  const d = descendantsMap(all);
  assert.deepEqual(names(d.get('base')!).sort(), ['a1', 'a2', 'b1', 'x2']);
  assert.deepEqual(names(d.get('a1')!).sort(), ['a2', 'x2']);
  assert.equal(d.get('a2'), undefined);
});

test('selectAll: every layer, each after its descendants, with the totals', () => {
  const sel = selectAll(all);
  assert.equal(sel.remove.length, 5);
  assert.equal(sel.removedBytes, 136);
  assert.equal(sel.totalBytes, 136);
  const at = (n: string) => names(sel.remove).indexOf(n);
  for (const l of all) for (const lower of l.stack.slice(0, -1)) assert.ok(at(l.name) < at(lower), `${l.name} before ${lower}`);
});

test('selectUnusedSince: old layers and their descendants only', () => {
  assert.deepEqual(names(selectUnusedSince(all, 20).remove), ['x2']);
  // Cutoff 42: a1 (40) is old, so a2 goes with it even though a2 was used at the same time;
  // base (50) and b1 (45) stay.
  const sel = selectUnusedSince(all, 42);
  assert.deepEqual(names(sel.remove).sort(), ['a1', 'a2', 'x2']);
  assert.equal(sel.removedBytes, 16);
  assert.deepEqual(names(selectUnusedSince(all, 0).remove), []);
});

test('a descendant used more recently than its lower still goes with it', () => {
  const oldBase = layer('base', [], 100, 1);
  const fresh = layer('c1', ['base'], 1, 99);
  assert.deepEqual(names(selectUnusedSince([oldBase, fresh], 50).remove), ['c1', 'base']);
});

test('budget: least recently used first, until the total fits', () => {
  // 136 bytes, budget 131: x2 (5 bytes, the oldest) is enough.
  let sel = selectOverBudget(all, 131, []);
  assert.deepEqual(names(sel.remove), ['x2']);
  assert.equal(sel.totalBytes - sel.removedBytes, 131);
  // Budget 125: x2, then a2 (1), then a1 (10): 120 left.
  sel = selectOverBudget(all, 125, []);
  assert.deepEqual(names(sel.remove), ['x2', 'a2', 'a1']);
  // Within the budget: nothing.
  assert.deepEqual(selectOverBudget(all, 136, []).remove, []);
});

test('budget: the stack the build just used is never removed, nor a layer below it', () => {
  // Build of container a just used base/a1/a2; a budget of 0 removes only what is not theirs.
  const sel = selectOverBudget(all, 0, ['base', 'a1', 'a2']);
  assert.deepEqual(names(sel.remove), ['x2', 'b1']);
  assert.equal(sel.totalBytes - sel.removedBytes, 111);
  // Protecting a leaf protects its lowers: b1's base cannot go (a2, a1 can).
  assert.deepEqual(names(selectOverBudget(all, 0, ['base', 'b1']).remove).sort(), ['a1', 'a2', 'x2']);
});

test('broken layers always go, with their descendants, even within the budget', () => {
  const broken = layer('gone', ['missing'], 0, 100, true);
  const above = layer('above', ['missing', 'gone'], 3, 100);
  const sel = selectOverBudget([...all, broken, above], 1000, []);
  assert.deepEqual(names(sel.remove), ['above', 'gone']);
  assert.deepEqual(names(selectUnusedSince([...all, broken, above], 0).remove), ['above', 'gone']);
});

test('ages as the listing prints them', () => {
  assert.deepEqual([30_000, 5 * 60_000, 3 * 3_600_000 + 1, 86_400_000, 40 * 86_400_000].map(formatAge),
    ['just now', '5 minutes ago', '3 hours ago', '1 day ago', '40 days ago']);
});
