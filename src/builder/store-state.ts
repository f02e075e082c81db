/**
 * Reading what the store holds for one container, as data for planBuild (build-plan.ts):
 * whether the wanted version's root exists, the `uid_map` saved with it, and where
 * `.vagga/<name>` points (storage layout: src/storage/layout.ts).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { containerLinkPath, versionDir, VERSION_FILES, type ProjectLayout } from '../storage/layout.js';
import type { StoredContainer } from './build-plan.js';
import type { VersionRecord } from './explain.js';
import { linkInside, requireRealDirOrMissing } from '../storage/planted-links.js';

/**
 * The store's facts about container `name` at version `hash` (undefined: not looked up).
 * `withLink`: also resolve `.vagga/<name>` (for `--no-version-check`). What cannot be read
 * counts as absent; a version dir, root or link the project planted (a symlink out of
 * `.roots`) throws VaggaError `storage.planted-link` (planted-links.ts).
 */
export function readStoredContainer(layout: ProjectLayout, name: string, hash: string | undefined, withLink = false): StoredContainer {
  const linkPath = containerLinkPath(layout, name);
  const out: StoredContainer = { versionExists: false, linkPath };
  if (hash !== undefined) {
    const dir = versionDir(layout, name, hash);
    requireRealDirOrMissing(dir);
    requireRealDirOrMissing(join(dir, 'root'));
    out.versionExists = existsSync(join(dir, 'root'));
    if (out.versionExists) out.uidMap = readOrUndefined(join(dir, VERSION_FILES.uidMap));
  }
  if (withLink && existsSync(linkPath)) out.linkedRoot = linkInside(linkPath, layout.rootsDir);
  return out;
}

function readOrUndefined(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * The version data (`steps.json`, explain.ts VersionRecord) of the version `.vagga/<name>`
 * points to, or undefined when there is none, it is unreadable or malformed (versions built
 * before version data was kept). A link leading out of `.roots` throws VaggaError
 * `storage.planted-link`.
 */
export function readLinkedRecord(layout: ProjectLayout, name: string): VersionRecord | undefined {
  const root = existsSync(containerLinkPath(layout, name)) ? linkInside(containerLinkPath(layout, name), layout.rootsDir) : undefined;
  if (root === undefined) return undefined;
  const text = readOrUndefined(join(dirname(root), VERSION_FILES.steps));
  if (text === undefined) return undefined;
  try {
    const record = JSON.parse(text) as VersionRecord;
    const wellFormed = Array.isArray(record.steps) && record.steps.every((s) =>
      typeof s?.hash === 'string' && typeof s.tag === 'string' && typeof s.summary === 'string' && Array.isArray(s.trace) && s.trace.every((l) => typeof l === 'string'));
    return wellFormed ? record : undefined;
  } catch {
    return undefined;
  }
}
