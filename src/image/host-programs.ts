/**
 * Host programs the image export runs outside any sandbox (on files the user owns): the
 * compressors, GNU tar for oci-archives and skopeo for docker-archives. Each is looked up in
 * PATH and the sbin/bin dirs (sandbox/tools.ts); a missing one is a MissingToolError naming
 * its Debian package. Also the helpers that run such a program to completion or as a stream
 * filter (zstd for image layers).
 */
import { spawn, type StdioOptions } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
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

/** A running filter program: write `stdin`, read `stdout`; `done` settles when it exits. */
export interface FilterProcess {
  stdin: Writable;
  stdout: Readable;
  /** Resolves on status 0; rejects with VaggaError `image.tar-failed` (121) and its stderr otherwise. */
  done: Promise<void>;
}

/**
 * Start the host's zstd(1) with `args` as a stream filter (e.g. `-q -c -3 -T0` to compress,
 * `-q -d -c` to decompress). Throws MissingToolError (121, package `zstd`, saying `why`).
 */
export function startFilter(args: readonly string[], why: string): FilterProcess {
  const zstd = hostProgram('zstd', 'zstd', why);
  const child = spawn(zstd, [...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
  const done = new Promise<void>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => (code === 0 ? resolve() : reject(new VaggaError(`zstd exited with ${signal ?? `status ${code}`}${stderr.trim() ? `: ${stderr.trim()}` : ''}`, { code: 'image.tar-failed' }))));
  });
  return { stdin: child.stdin!, stdout: child.stdout!, done };
}
