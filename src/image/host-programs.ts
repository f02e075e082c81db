/**
 * Host programs the image export runs outside any sandbox (on files the user owns): the
 * compressors, GNU tar for oci-archives and skopeo for docker-archives. Each is looked up in
 * PATH and the sbin/bin dirs (sandbox/tools.ts); a missing one is a MissingToolError naming
 * its Debian package. Also the one helper that runs such a program to completion.
 */
import { spawn, type StdioOptions } from 'node:child_process';
import { MissingToolError, VaggaError } from '../errors/vagga-error.js';
import { findInDirs, searchDirs } from '../sandbox/tools.js';

/** Absolute path of `program`; throws MissingToolError (121) naming `pkg` and `why`. */
export function hostProgram(program: string, pkg: string, why: string): string {
  const path = findInDirs(program, searchDirs(process.env.PATH));
  if (!path) throw new MissingToolError(program, pkg, why);
  return path;
}

/** Output of a program run by runProgram. */
export interface ProgramResult {
  status: number;
  stderr: string;
}

/**
 * Run `argv` (absolute program path first) with `env`, stdin closed, stdout ignored, stderr
 * captured. Resolves with the status (128+N for signal N); rejects only when it cannot start.
 */
export function runProgram(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<ProgramResult> {
  return new Promise((resolve, reject) => {
    const stdio: StdioOptions = ['ignore', 'ignore', 'pipe'];
    const child = spawn(argv[0]!, argv.slice(1), { stdio, env });
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ status: code ?? 128 + (signal ? 15 : 0), stderr }));
  });
}

/** Throw VaggaError `code` (121) with `what` and the program's last stderr lines when `r` failed. */
export function checkProgram(r: ProgramResult, what: string, code: 'image.archive-failed'): void {
  if (r.status === 0) return;
  const tail = r.stderr.trim().split('\n').slice(-5).join('\n');
  throw new VaggaError(`${what} failed with status ${r.status}${tail ? `:\n${tail}` : ''}`, { code });
}
