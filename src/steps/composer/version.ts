/**
 * The version hash of `!ComposerDependencies`, as Vagga computes it (master,
 * src/builder/commands/composer.rs `hash`/`hash_lock_file`): nothing of the step's own
 * options, only the project's files under `/work[/working-dir]`:
 * 1. when composer.lock exists, for each entry of its `packages` array the fields `name`,
 *    `version`, `source`, `dist`, `extra`, `autoload`, `require`, `require-dev` (a missing
 *    key hashes as `null`); a lock without a `packages` array is an error;
 * 2. from composer.json (required): `require`, `conflict`, `replace`, `provide`,
 *    `autoload`, `repositories`, `minimum-stability`, `prefer-stable`, and under the key
 *    `require-dev` the value of `autoload-dev` (Vagga's quirk, kept so hashes match).
 * Each field is `<key>\0<compact JSON>\0` with serde_json's text (src/version/serde-json.ts).
 * Read or syntax errors are versioning errors (`bad json in "/work/composer.json": ...`).
 */
import * as fs from 'node:fs';
import type { Digest } from '../../version/digest.js';
import { rustJoin } from '../../version/paths.js';
import { versionError } from '../../version/errors.js';
import { parseSerdeJson, serdeDisplay, serdeGet, SerdeJsonError, type SerdeJson } from '../../version/serde-json.js';
import { hostOf } from '../lang/project-files.js';
import type { VersionContext } from '../step.js';

const WHAT = '!ComposerDependencies';

/** The composer.lock package keys Vagga hashes (its LOCKFILE_RELEVANT_KEYS, then the two require maps). */
export const LOCK_PACKAGE_KEYS = ['name', 'version', 'source', 'dist', 'extra', 'autoload', 'require', 'require-dev'] as const;

/** composer.json: [hashed key, key read], in Vagga's order. */
export const JSON_KEYS: readonly (readonly [string, string])[] = [
  ['require', 'require'],
  ['conflict', 'conflict'],
  ['replace', 'replace'],
  ['provide', 'provide'],
  ['autoload', 'autoload'],
  ['repositories', 'repositories'],
  ['minimum-stability', 'minimum-stability'],
  ['prefer-stable', 'prefer-stable'],
  ['require-dev', 'autoload-dev'],
];

/** Parsed `hostPath` (shown as the container path `shown`); errors become versioning errors. */
function readSerdeJson(hostPath: string, shown: string): SerdeJson {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(hostPath);
  } catch (e) {
    throw versionError(WHAT, `${shown}: ${(e as Error).message}`);
  }
  try {
    return parseSerdeJson(bytes);
  } catch (e) {
    if (e instanceof SerdeJsonError) throw versionError(WHAT, `bad json in ${JSON.stringify(shown)}: ${e.message}`);
    throw e;
  }
}

/**
 * Feed `d` with the hash of `!ComposerDependencies` whose `working-dir` is `workingDir`
 * (see the module comment). Throws a versioning error (121) for a missing or malformed
 * composer.json, a malformed composer.lock or one without a `packages` array.
 */
export function hashComposerDependencies(workingDir: string | undefined, d: Digest, ctx: Pick<VersionContext, 'projectRoot'>): void {
  const base = workingDir === undefined ? '/work' : rustJoin('/work', workingDir);
  const lockPath = rustJoin(base, 'composer.lock');
  const lockHost = hostOf(lockPath, ctx, WHAT);
  if (fs.existsSync(lockHost)) {
    const lock = readSerdeJson(lockHost, lockPath);
    const packages = serdeGet(lock, 'packages');
    if (lock instanceof Map && !lock.has('packages')) throw versionError(WHAT, "Missing 'packages' property from composer.lock");
    if (!Array.isArray(packages)) {
      throw versionError(WHAT, lock instanceof Map ? "'packages' property is not an array" : "Missing 'packages' property from composer.lock");
    }
    for (const pkg of packages) {
      for (const key of LOCK_PACKAGE_KEYS) d.field(key, serdeDisplay(serdeGet(pkg, key)));
    }
  }
  const jsonPath = rustJoin(base, 'composer.json');
  const data = readSerdeJson(hostOf(jsonPath, ctx, WHAT), jsonPath);
  for (const [hashed, read] of JSON_KEYS) d.field(hashed, serdeDisplay(serdeGet(data, read)));
}
