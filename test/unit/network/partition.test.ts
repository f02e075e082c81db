import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VaggaError } from '../../../src/errors/vagga-error.js';
import { planPartition, type CutLinks } from '../../../src/network/partition.js';
import { answerNetworkRequest } from '../../../src/network/bridge-run.js';

const NODES = ['a', 'b', 'c', 'd'];

/** Cut links as sorted `x-y` pairs (each once, x < y), to compare easily. */
function pairs(cut: CutLinks): string[] {
  const out = new Set<string>();
  for (const [x, peers] of cut) {
    for (const y of peers) {
      assert.ok(cut.get(y)?.has(x), `${x}-${y} is cut both ways`);
      out.add([x, y].sort().join('-'));
    }
  }
  return [...out].sort();
}

const fails = (re: RegExp) => (e: unknown) => e instanceof VaggaError && e.code === 'network.partition' && e.exitCode === 1 && re.test(e.message);

test('fullmesh: nothing cut; takes no arguments', () => {
  assert.deepEqual(pairs(planPartition('fullmesh', [], NODES)), []);
  assert.throws(() => planPartition('fullmesh', ['a'], NODES), fails(/fullmesh takes none/));
});

test('isolate: the nodes lose every link, to each other too', () => {
  assert.deepEqual(pairs(planPartition('isolate', ['b'], NODES)), ['a-b', 'b-c', 'b-d']);
  assert.deepEqual(pairs(planPartition('isolate', ['a', 'b'], NODES)), ['a-b', 'a-c', 'a-d', 'b-c', 'b-d']);
  assert.deepEqual(pairs(planPartition('isolate', [], NODES)), []);
  assert.throws(() => planPartition('isolate', ['zz'], NODES), fails(/^Node zz does not exists$/));
});

test('disjoint: links between clusters are cut; every node exactly once', () => {
  assert.deepEqual(pairs(planPartition('disjoint', ['a', 'b', '--', 'c', 'd'], NODES)), ['a-c', 'a-d', 'b-c', 'b-d']);
  // Repeated and trailing separators make no empty cluster.
  assert.deepEqual(pairs(planPartition('disjoint', ['--', 'a', '--', '--', 'b', 'c', 'd', '--'], NODES)), ['a-b', 'a-c', 'a-d']);
  assert.throws(() => planPartition('disjoint', ['a', 'b', '--', 'c'], NODES), fails(/^Node d is missing\. You may use 'split' command if you want to skip some nodes$/));
  assert.throws(() => planPartition('disjoint', ['a', 'b', '--', 'b', 'c', 'd'], NODES), fails(/^Duplicate node b \(or it's IP\)$/));
  assert.throws(() => planPartition('disjoint', ['a', 'x'], NODES), fails(/^Node x does not exists or has no IP$/));
});

test('split: shared nodes keep both sides; nodes not named are isolated', () => {
  // b bridges the clusters {a,b} and {b,c}; d is not named.
  assert.deepEqual(pairs(planPartition('split', ['a', 'b', '--', 'b', 'c'], NODES)), ['a-c', 'a-d', 'b-d', 'c-d']);
});

test('unknown kind: Vagga\'s message', () => {
  assert.throws(() => planPartition('mesh', [], NODES), fails(/^Unknown command mesh$/));
});

test('requests from the children: usage, run, errors and success', async () => {
  const applied: CutLinks[] = [];
  const apply = async (cut: CutLinks) => {
    applied.push(cut);
  };
  assert.equal((await answerNetworkRequest(['--help'], NODES, apply)).status, 0);
  assert.match((await answerNetworkRequest([], NODES, apply)).stderr ?? '', /^Usage:/);
  assert.equal((await answerNetworkRequest(['run', 'a', 'true'], NODES, apply)).status, 121, 'run without a runner');
  const ran: string[][] = [];
  const runner = async (args: string[]) => {
    ran.push(args);
    return { stdout: 'ran\n', status: 0 };
  };
  // The command's own -h is its own: only `run -h` is the usage.
  assert.deepEqual(await answerNetworkRequest(['run', 'a', 'ls', '-h'], NODES, apply, runner), { stdout: 'ran\n', status: 0 });
  assert.match((await answerNetworkRequest(['run', '-h'], NODES, apply, runner)).stdout ?? '', /^Usage: vagga _network run NODE COMMAND/);
  assert.deepEqual(ran, [['a', 'ls', '-h']]);
  assert.deepEqual(await answerNetworkRequest(['isolate', 'q'], NODES, apply), { stderr: 'Node q does not exists\n', status: 1 });
  assert.deepEqual(await answerNetworkRequest(['isolate', 'a'], NODES, apply), { status: 0 });
  assert.deepEqual(applied.map(pairs), [['a-b', 'a-c', 'a-d']]);
});
