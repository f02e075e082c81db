/**
 * `vagga _capsule SUBCOMMAND ...` (vagga-inventory.md §1.8; Vagga's src/capsule/): what a
 * `!CapsuleCommand` uses to build and run containers of its project at run time.
 * - `build [--force] NAME`: build NAME as `_build` does (`--force` rebuilds);
 * - `run NAME CMD ARGS...`: as `_run NAME CMD ARGS...` (builds NAME first if needed);
 * - `script [--sha256 HASH] [--refresh] URL ARGS...`: fetch URL into the download cache (once;
 *   again with `--refresh`), check HASH when given, run it with `/bin/sh` with ARGS;
 * - `download [--sha256 HASH] [--refresh] URL`: the same fetch; prints the cached file's path.
 * Only inside a capsule (`_VAGGA_IN_CAPSULE=1`, src/runtime/capsule.ts); elsewhere it says so
 * (121). An unknown subcommand exits 127 (`Unknown command "x"`), bad arguments 122, as in Vagga.
 */
import { spawn } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { constants as osConstants } from 'node:os';
import type { BuiltinCall } from '../builtin-spec.js';
import type { CliContext } from '../context.js';
import { VaggaError } from '../../errors/vagga-error.js';
import { IN_CAPSULE_ENV } from '../../sandbox/idmap.js';

const USAGE = [
  'Usage:',
  '    vagga _capsule build [--force] NAME',
  '    vagga _capsule run NAME CMD [ARGS...]',
  '    vagga _capsule script [--sha256 HASH] [--refresh] URL [ARGS...]',
  '    vagga _capsule download [--sha256 HASH] [--refresh] URL',
  '',
  'Only inside a !CapsuleCommand.',
].join('\n');

function badArgs(message: string): never {
  throw new VaggaError(message, { code: 'args.bad-positional', hint: USAGE });
}

/** Options before the first positional (`--sha256 X`, `--refresh`, `--force`), then the rest. */
function parseSub(words: readonly string[], allowed: readonly string[]): { flags: Record<string, string | true>; rest: string[] } {
  const flags: Record<string, string | true> = {};
  let i = 0;
  for (; i < words.length && words[i]!.startsWith('-'); i++) {
    const [flag, inline] = words[i]!.split(/=(.*)/s, 2) as [string, string | undefined];
    if (flag === '--') {
      i++;
      break;
    }
    if (!allowed.includes(flag)) badArgs(`Unknown flag: ${JSON.stringify(flag)}`);
    if (flag === '--sha256') {
      const value = inline ?? words[++i];
      if (value === undefined) badArgs('Option "--sha256" requires an argument');
      flags[flag] = value;
    } else {
      flags[flag] = true;
    }
  }
  return { flags, rest: words.slice(i) };
}

/** The cached file of `url` (fetched when missing, or again with `refresh`). */
async function fetched(ctx: CliContext, url: string, sha256: string | undefined, refresh: boolean): Promise<string> {
  const project = await ctx.project();
  const [{ cacheDirPath }, { downloadCachePath, fetchToCache, isRemoteUrl }] = await Promise.all([
    import('../../storage/layout.js'),
    import('../../storage/downloads.js'),
  ]);
  if (!isRemoteUrl(url)) {
    throw new VaggaError(`Only http:// and https:// URLs can be fetched, not ${JSON.stringify(url)}`, { code: 'args.bad-positional' });
  }
  const cacheDir = cacheDirPath(project.settings, ctx.env);
  if (refresh) await rm(downloadCachePath(cacheDir, url, sha256), { force: true });
  return fetchToCache(cacheDir, url, sha256, { info: (m) => ctx.err(`${m}\n`) });
}

/** Resolves with the exit status (see the module comment). */
export async function run(ctx: CliContext, parsed: BuiltinCall): Promise<number> {
  const [sub, ...words] = parsed.positionals;
  if (sub === undefined) {
    ctx.err(`${USAGE}\n`);
    return 122;
  }
  if (sub === '-h' || sub === '--help') {
    ctx.out(`${USAGE}\n`);
    return 0;
  }
  if (ctx.env[IN_CAPSULE_ENV] !== '1') {
    throw new VaggaError('`vagga _capsule` works only inside a !CapsuleCommand', {
      code: 'command.not-supported',
      hint: 'Use `vagga _build NAME` and `vagga _run NAME CMD` outside a capsule.',
    });
  }
  switch (sub) {
    case 'build': {
      const { flags, rest } = parseSub(words, ['--force']);
      if (rest.length !== 1) badArgs(rest.length === 0 ? 'Container name expected' : `Unexpected argument ${JSON.stringify(rest[1])}`);
      const buildBuiltin = await import('./build.js');
      return buildBuiltin.run(ctx, { ...parsed, values: { force: flags['--force'] === true }, positionals: rest });
    }
    case 'run': {
      if (words[0] === '--') words.shift();
      if (words.length < 2) badArgs(words.length === 0 ? 'Container name expected' : 'Command to run expected');
      const runBuiltin = await import('./run.js');
      return runBuiltin.run(ctx, { ...parsed, values: {}, positionals: words });
    }
    case 'script': {
      const { flags, rest } = parseSub(words, ['--sha256', '--refresh']);
      const [url, ...args] = rest;
      if (url === undefined) badArgs('URL expected');
      const file = await fetched(ctx, url, flags['--sha256'] as string | undefined, flags['--refresh'] === true);
      return new Promise<number>((resolve, reject) => {
        const child = spawn('/bin/sh', [file, ...args], { stdio: 'inherit' });
        child.on('error', reject);
        child.on('close', (code, signal) => resolve(code ?? 128 + (signal ? osConstants.signals[signal] : 0)));
      });
    }
    case 'download': {
      const { flags, rest } = parseSub(words, ['--sha256', '--refresh']);
      if (rest.length !== 1) badArgs(rest.length === 0 ? 'URL expected' : `Unexpected argument ${JSON.stringify(rest[1])}`);
      ctx.out(`${await fetched(ctx, rest[0]!, flags['--sha256'] as string | undefined, flags['--refresh'] === true)}\n`);
      return 0;
    }
    default:
      ctx.err(`Unknown command ${JSON.stringify(sub)}\n`);
      return 127;
  }
}
