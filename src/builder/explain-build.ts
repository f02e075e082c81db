/**
 * `vagga _build --explain NAME`: compare the current inputs of a container with the
 * newest built version (the one `.vagga/NAME` points to) without building, step by step,
 * and say which steps the build cache holds. Reads the store and the layer store; writes
 * nothing. The comparison itself is explain.ts.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config, Settings } from '../config/model.js';
import { LAYER_STORE_ENTRY } from '../config/cache-name.js';
import { VaggaError } from '../errors/vagga-error.js';
import { formatIdMap } from '../storage/publish.js';
import { projectLayout } from '../storage/layout.js';
import { shortHash } from '../version/digest.js';
import { defaultBuildDeps, layerPlanFor, recordedSteps } from './ensure-built.js';
import { compareSteps } from './explain.js';
import { layerName } from './layer-plan.js';
import { readLinkedRecord, readStoredContainer } from './store-state.js';

/** Whether the layer store under `cacheDir` holds the layer of `key`. */
function layerCached(cacheDir: string, key: string): boolean {
  try {
    const meta = JSON.parse(readFileSync(join(cacheDir, LAYER_STORE_ENTRY, 'layers', layerName(key), 'meta.json'), 'utf8')) as { key?: string };
    return meta.key === key;
  } catch {
    return false;
  }
}

/**
 * The explanation for container `name` as text (lines ending in newlines): whether its
 * current version is built; otherwise each step, marked unchanged / changed (with what
 * changed) / after the change, and `cached` when the layer store holds its layer.
 * Throws VaggaError 121 for an unknown container or a version that cannot be known before
 * building.
 */
export async function explainBuild(config: Config, settings: Settings, name: string): Promise<string> {
  const deps = await defaultBuildDeps();
  const container = config.containers[name];
  if (!container) throw new VaggaError(`Container ${JSON.stringify(name)} not found`, { code: 'container.not-found' });
  const layout = projectLayout(config.projectRoot, settings);
  const hash = deps.version(config, name, settings);
  const current = recordedSteps(deps, config, name, settings);
  if (hash === undefined || current === undefined) {
    throw new VaggaError(`The version of container ${JSON.stringify(name)} is known only after building it; nothing to compare`, { code: 'version.unknown' });
  }
  const lines: string[] = [];
  const stored = readStoredContainer(layout, name, hash);
  if (stored.versionExists) {
    lines.push(`Container ${name} is up to date: version ${shortHash(hash)} is built.`);
    return lines.map((l) => `${l}\n`).join('');
  }
  const previous = readLinkedRecord(layout, name);
  lines.push(`Container ${name}: version ${shortHash(hash)} is not built${previous ? `; comparing with the built version ${shortHash(previous.version)}` : ''}.`);
  const mapping = deps.idMapping(container.uids, container.gids);
  const plan = layerPlanFor(deps, config, settings, name, mapping, current);
  const cacheDir = deps.cacheDir(settings);
  const cmp = previous ? compareSteps(previous.steps, current) : undefined;
  current.forEach((step, i) => {
    const status: string[] = [];
    if (cmp !== undefined) {
      if (cmp.first === undefined || i < cmp.first) status.push('unchanged');
      else if (i === cmp.first) status.push(`changed: ${cmp.changes.join(', ')}`);
      else status.push('after the change');
    }
    if (plan.cached && layerCached(cacheDir, plan.keys[i]!)) status.push('cached');
    lines.push(`  ${i + 1}/${current.length} ${step.summary}${status.length ? `  [${status.join('; ')}]` : ''}`);
  });
  if (cmp !== undefined && cmp.first !== undefined && cmp.first >= current.length) {
    lines.push(`  (${cmp.changes.join(', ')})`);
  }
  if (previous === undefined) lines.push('No built version with version data to compare with (built by an older vagga, or never built).');
  if (!plan.cached) lines.push(`The build cache is not used for this container: ${plan.reason}.`);
  else if (previous !== undefined && (cmp?.first === undefined)) lines.push('The steps are the same as the built version\'s: it differs in its uid/gid ranges or data-dirs.');
  return lines.map((l) => `${l}\n`).join('');
}
