/**
 * Measuring how much disk container trees take. Built roots hold files owned by subordinate
 * uids (e.g. apt's 0700 `_apt` dirs) that the host user cannot list, so plain `du` fails
 * with `Permission denied`: GNU du(1) runs inside a tool sandbox (src/sandbox/tool-sandbox.ts)
 * with the "max" id mapping, like removeTreeInNamespace. Sizes are bytes (`-B1`), on disk
 * (allocated blocks) and apparent (`--apparent-size`); du counts a file with several hard
 * links once per invocation, which is what makes the deduplicated total.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VaggaError } from '../errors/vagga-error.js';
import type { SandboxResult, SandboxSpec } from '../sandbox/types.js';

/** A tree's size in bytes. */
export interface TreeSize {
  /** Allocated on disk (du -B1). */
  disk: number;
  /** Sum of file sizes (du --apparent-size -B1). */
  apparent: number;
}

/** Sizes of several trees. */
export interface Measurement {
  /** Each path measured alone (its own hard links counted once), in the order given. */
  each: TreeSize[];
  /**
   * Each path measured after the ones before it: files already counted for an earlier path
   * (hard links) are not counted again, so these add up to `total`.
   */
  added: TreeSize[];
  /** All paths together, a file hard-linked from several of them counted once. */
  total: TreeSize;
}

/** Runs a sandbox; replaceable in tests. */
export type SizeSandboxRunner = (spec: SandboxSpec) => Promise<SandboxResult>;

/**
 * The shell script run in the sandbox: `$1` is the output file, the rest the paths. First,
 * for each path alone, two lines (on disk, apparent); then one du over all paths (on disk),
 * printing a line per path (what it adds to the ones before) and the total (`-c`); then the
 * same apparent. `du -s` prints `<bytes>\t<path>`. A tree du cannot fully read still gives
 * its line (and a message on stderr), so the line count only depends on the path count.
 */
export const DU_SCRIPT = [
  'out=$1; shift',
  '{ for d do du -s -B1 -- "$d" | tail -n1; du -s -B1 --apparent-size -- "$d" | tail -n1; done',
  '  du -s -c -B1 -- "$@"; du -s -c -B1 --apparent-size -- "$@"; } > "$out"',
].join('\n');

/**
 * Parse DU_SCRIPT's output for `count` paths (pure). Throws VaggaError (121) when the
 * output does not have the expected 4 * count + 2 `<bytes>\t...` lines.
 */
export function parseDuOutput(text: string, count: number): Measurement {
  const numbers = text.split('\n').filter((l) => l !== '').map((l) => Number(/^(\d+)\t/.exec(l)?.[1] ?? NaN));
  if (numbers.length !== 4 * count + 2 || numbers.some((n) => !Number.isFinite(n))) {
    throw new VaggaError(`Could not read the sizes du reported (${numbers.length} lines for ${count} paths)`, { code: 'storage.size-failed' });
  }
  const disk = numbers.slice(2 * count, 3 * count + 1);
  const apparent = numbers.slice(3 * count + 1);
  return {
    each: Array.from({ length: count }, (_, i) => ({ disk: numbers[2 * i]!, apparent: numbers[2 * i + 1]! })),
    added: Array.from({ length: count }, (_, i) => ({ disk: disk[i]!, apparent: apparent[i]! })),
    total: { disk: disk[count]!, apparent: apparent[count]! },
  };
}

/**
 * The sandbox spec measuring `paths` (absolute host paths, each under one of `roots`,
 * which are bound read-only at the same paths), writing to `outFile` in the read-write
 * `outDir`. Pure apart from reading the host's mounts list for /usr.
 */
async function duSpec(paths: readonly string[], roots: readonly string[], outDir: string, outFile: string): Promise<SandboxSpec> {
  const [{ toolSandboxSpec }, { maxIdMapping }] = await Promise.all([import('../sandbox/tool-sandbox.js'), import('../sandbox/idmap.js')]);
  const spec = toolSandboxSpec(['/bin/sh', '-c', DU_SCRIPT, 'sh', outFile, ...paths], outDir, maxIdMapping());
  for (const root of roots) spec.mounts.push({ kind: 'bind', source: root, dest: root, readOnly: true });
  return spec;
}

/**
 * Measure `paths` (absolute, existing host paths; none: zero sizes without a sandbox) with
 * du in a user namespace. `roots` are the directories to make visible (each path must be
 * inside one; give real paths, without symlinks). Throws VaggaError when the sandbox cannot
 * run (MissingToolError, id mapping errors) or du's output is unusable.
 */
export async function measureTrees(paths: readonly string[], roots: readonly string[], runner?: SizeSandboxRunner): Promise<Measurement> {
  if (paths.length === 0) return { each: [], added: [], total: { disk: 0, apparent: 0 } };
  const run = runner ?? (await import('../sandbox/bwrap.js')).runSandbox;
  const outDir = await mkdtemp(join(tmpdir(), 'vagga-du-'));
  try {
    const outFile = join(outDir, 'du.txt');
    const result = await run(await duSpec(paths, roots, outDir, outFile));
    let text: string;
    try {
      text = await readFile(outFile, 'utf8');
    } catch {
      throw new VaggaError(`Could not measure sizes: du did not run (exit status ${result.status})`, { code: 'storage.size-failed' });
    }
    return parseDuOutput(text, paths.length);
  } finally {
    await rm(outDir, { recursive: true, force: true });
  }
}
