/**
 * End-to-end: `!Supervise` on a real terminal (vagga-inventory.md §2.9). vagga runs on a
 * pseudo-terminal made by script(1) (util-linux, always installed); the keys are written to
 * script's stdin, so the terminal driver turns them into signals for the terminal's foreground
 * process group, as for a user at a keyboard:
 * - Ctrl-Z stops the children and vagga; SIGCONT to vagga continues them all;
 * - Ctrl-C reaches vagga (not just the last child started, whose init would otherwise take the
 *   terminal), which prints `Received SIGINT signal. Waiting the processes to stop...`, passes
 *   SIGINT to every child and exits 130.
 */
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { cleanEnv, cleanupStage, e2eEnv, processesMatching, token, waitNoProcesses } from './harness.js';
import { intTrappingChildren, makeBusyboxProject } from './fixtures.js';

after(cleanupStage);

/** Single-quote `s` for /bin/sh. */
const q = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/** Process state letter from /proc/PID/stat (R, S, T...), or undefined when gone. */
function stateOf(pid: number): string | undefined {
  try {
    return /\) (\S) /.exec(readFileSync(`/proc/${pid}/stat`, 'utf8'))?.[1];
  } catch {
    return undefined;
  }
}

async function until(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('!Supervise on a terminal', { timeout: 600_000 }, () => {
  let dir: string;
  const tok = token('svtty');

  before(async () => {
    dir = await makeBusyboxProject(`
  tty-int: !Supervise
    children:
${intTrappingChildren(tok)}
`, 'supervise-tty');
  });

  test('Ctrl-Z stops every child and vagga; Ctrl-C reaches vagga, which passes SIGINT to every child and exits 130', async () => {
    const env = await e2eEnv();
    const argv = [env.runtime, env.vaggaScript, 'tty-int'];
    const user = env.asRoot ? ['setpriv', '--reuid', String(env.uid), '--regid', String(env.gid), '--init-groups', '--'] : [];
    // script -q (no banner) -f (flush) -e (child's exit status) -c CMD; no typescript file.
    const term = spawn('script', ['-qfec', [...user, ...argv].map(q).join(' '), '/dev/null'], {
      cwd: dir,
      env: { ...cleanEnv(env), TERM: 'dumb' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    term.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    term.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
    const killer = setTimeout(() => term.kill('SIGKILL'), 120_000);
    const exited = new Promise<number | null>((resolve) => term.on('close', (code) => resolve(code)));
    const shown = () => `--- terminal:\n${out}`;
    try {
      await until('both children are ready', () => out.includes('one-ready') && out.includes('two-ready'), 60_000);
      const [vaggaProc] = processesMatching(`${env.vaggaScript} tty-int`).filter((p) => p.cmdline.startsWith(env.runtime));
      assert.ok(vaggaProc, `vagga's process found\n${shown()}`);
      const children = processesMatching(tok).filter((p) => p.cmdline.startsWith('/bin/sh'));
      assert.equal(children.length, 2, shown());

      term.stdin.write('\x1a'); // Ctrl-Z
      await until('vagga and both children are stopped', () => [vaggaProc, ...children].every((p) => stateOf(p.pid) === 'T'));
      process.kill(vaggaProc.pid, 'SIGCONT');
      await until('vagga and both children run again', () => [vaggaProc, ...children].every((p) => stateOf(p.pid) !== 'T'));

      term.stdin.write('\x03'); // Ctrl-C
      const status = await exited;
      assert.equal(status, 130, shown());
      // The terminal echoes the keys (`^Z^C`) just before the message, on the same line.
      assert.match(out, /(^|\^C)Received SIGINT signal\. Waiting the processes to stop\.\.\.\r?$/m, shown());
      assert.equal(out.match(/one-got-INT/g)?.length, 1, shown());
      assert.equal(out.match(/two-got-INT/g)?.length, 1, shown());
      assert.doesNotMatch(out, /Shutting down/, `a signal to vagga, not a child's end, ended the run\n${shown()}`);
      assert.deepEqual(await waitNoProcesses(tok), []);
    } finally {
      clearTimeout(killer);
      term.stdin.end();
      if (term.exitCode === null) term.kill('SIGKILL');
    }
  });
});
