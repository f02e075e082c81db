/**
 * Starting host programs (mmdebstrap, tar, cp, git, npm, flock, ...) so that they never
 * outlive vagga, even when vagga is killed with SIGKILL (issue 8 part 3: a killed build left
 * mmdebstrap and its apt children running for a minute).
 *
 * A parent-death signal alone (prctl(2) PR_SET_PDEATHSIG, set by setpriv(1)) is not enough:
 * it reaches only the direct child, while mmdebstrap forks helpers (and namespaces) of its
 * own that would be orphaned. So each program runs in a process group of its own (setsid(2)
 * via `detached`), and a guard shell, started first in a session of its own (so Ctrl-C does
 * not stop it), waits on a pipe from vagga: it reads the group id, then either `done` (the
 * program ended normally: nothing to do) or EOF (vagga died: it kills the whole group with
 * SIGKILL). Process groups span pid namespaces, so this reaches mmdebstrap's unshared
 * children too. The program itself also gets a parent-death SIGKILL (setpriv --pdeathsig),
 * which covers the short window before the guard knows the group id.
 *
 * When the program exits, what is left of its group is killed at once (a leftover descendant
 * is an orphan as well). Programs spawned here get no controlling terminal; interactive
 * processes (the sandbox launcher in src/sandbox/bwrap.ts) are started differently.
 */
import { spawn, spawnSync, type ChildProcess, type SpawnOptions, type SpawnSyncOptionsWithStringEncoding, type SpawnSyncReturns } from 'node:child_process';
import { existsSync } from 'node:fs';
import { findInDirs, findTool, searchDirs } from './tools.js';

/** Shell code of the guard: reads the group id, then `done` (nothing to do) or EOF (kill the group). dash has no `kill --`. */
const GUARD_SCRIPT = 'trap "" INT HUP TERM QUIT TSTP; read pg || exit 0; read word; [ "$word" = done ] || kill -KILL "-$pg" 2>/dev/null; exit 0';

/** argv prefix giving the program a parent-death SIGKILL (setpriv(1) `--pdeathsig`). */
function deathSignalPrefix(): string[] {
  return [findTool('setpriv'), '--pdeathsig', 'KILL', '--'];
}

/**
 * The program's path when it exists (a path, or a name found in `PATH`), else
 * undefined: then the plain spawn is used, so that a missing program still fails with
 * node's ENOENT error the callers report.
 */
function resolveProgram(program: string, env: NodeJS.ProcessEnv | undefined): string | undefined {
  if (program.includes('/')) return existsSync(program) ? program : undefined;
  return findInDirs(program, searchDirs((env ?? process.env).PATH));
}

function killGroup(pgid: number | undefined): void {
  if (pgid === undefined) return;
  try {
    process.kill(-pgid, 'SIGKILL');
  } catch {
    // The group is empty already.
  }
}

/**
 * Start `program` with `args` and `options` (node's child_process.spawn; `detached` is
 * forced on) so that it and every process it starts die with vagga (see the module comment).
 * Returns the ChildProcess as spawn does: its `pid` is the program's, `kill()` signals it, an
 * `error` event reports a program that could not be started. Throws MissingToolError when
 * util-linux `setpriv` is missing.
 */
export function spawnHost(program: string, args: readonly string[], options: SpawnOptions = {}): ChildProcess {
  const path = resolveProgram(program, options.env);
  if (path === undefined) return spawn(program, args, options);
  const prefix = deathSignalPrefix();
  const guard = spawn('/bin/sh', ['-c', GUARD_SCRIPT], { stdio: ['pipe', 'ignore', 'ignore'], detached: true });
  guard.on('error', () => {});
  guard.stdin!.on('error', () => {});
  guard.unref();
  (guard.stdin as unknown as { unref?: () => void }).unref?.();
  const child = spawn(prefix[0]!, [...prefix.slice(1), path, ...args], { ...options, detached: true });
  const pgid = child.pid;
  if (pgid === undefined) {
    guard.stdin!.end();
    return child;
  }
  guard.stdin!.write(`${pgid}\n`);
  child.once('exit', () => {
    killGroup(pgid);
    guard.stdin!.end('done\n');
  });
  return child;
}

/**
 * spawnSync `program` with `args` and `options` with a parent-death SIGKILL (setpriv), for
 * short helpers that run while vagga blocks (`git describe`, `npm config get`). Same return
 * value as node's spawnSync with an `encoding`. Throws MissingToolError when `setpriv` is missing.
 */
export function spawnHostSync(program: string, args: readonly string[], options: SpawnSyncOptionsWithStringEncoding): SpawnSyncReturns<string> {
  const path = resolveProgram(program, options.env);
  if (path === undefined) return spawnSync(program, args, options);
  const prefix = deathSignalPrefix();
  return spawnSync(prefix[0]!, [...prefix.slice(1), path, ...args], options);
}
