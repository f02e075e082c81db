/**
 * Reading project files (package.json, requirements.txt, Gemfile, ...) for the version hashes
 * of the language steps: a container path under /work is mapped to the host project dir
 * (src/version/paths.ts workToHost), its symlinks resolved inside the project
 * (config/project-path.ts: a hostile project's `package.json -> /home/me/secret` is refused,
 * never read), and read; failures become versioning errors naming the step
 * (src/version/errors.ts versionError, exit 121 at build, shown by `_version_hash`).
 * Moved unchanged from the former parse-only step list.
 */
import * as fs from 'node:fs';
import { versionError } from '../../version/errors.js';
import { workToHost } from '../../version/paths.js';
import { resolveProjectPath } from '../../config/project-path.js';
import type { VersionContext } from '../step.js';

/**
 * Real host path of `containerPath` (absolute, under /work), symlinks followed (missing
 * components allowed). Throws a versioning error for `what` (e.g. `!NpmDependencies`) when
 * the path is outside /work, and ProjectPathError (126) when it resolves outside the project.
 */
export function hostOf(containerPath: string, ctx: Pick<VersionContext, 'projectRoot'>, what: string): string {
  const host = workToHost(containerPath, ctx.projectRoot);
  if (host === undefined) throw versionError(what, `path ${JSON.stringify(containerPath)} is not inside /work`);
  return resolveProjectPath(ctx.projectRoot, host, { key: `${what} ${containerPath}` });
}

/** UTF-8 text of `hostPath`; read errors become a versioning error mentioning `shown` (the container path). */
export function readText(hostPath: string, shown: string, what: string): string {
  try {
    return fs.readFileSync(hostPath, 'utf8');
  } catch (e) {
    throw versionError(what, `${shown}: ${(e as Error).message}`);
  }
}

/** Parsed JSON of `hostPath`; read or syntax errors become a versioning error (`bad json in "<shown>": ...`). */
export function readJson(hostPath: string, shown: string, what: string): unknown {
  const text = readText(hostPath, shown, what);
  try {
    return JSON.parse(text);
  } catch (e) {
    throw versionError(what, `bad json in ${JSON.stringify(shown)}: ${(e as Error).message}`);
  }
}
