/**
 * Test helpers: build setup steps through the real step schemas from plain JS values
 * (turned into QNodes the way the YAML loader would produce them) and minimal configs.
 */
import type { Config, ContainerConfig, IdRange, StepConfig } from '../../../src/config/model.js';
import type { QNode } from '../../../src/config/qnode.js';
import { validate } from '../../../src/config/schema.js';
import { stepDef } from '../../../src/steps/registry.js';

const pos = { file: 'vagga.yaml', line: 1, col: 1 };

/** A value for `node()`: scalars become plain scalars, `null` an empty plain scalar. */
export type Plain = string | number | boolean | null | Plain[] | { [k: string]: Plain };

/** Convert a plain value to a QNode (strings are plain scalars; numbers/booleans written as text). */
export function node(v: Plain, tag?: string): QNode {
  if (v === null) return { kind: 'scalar', text: '', plain: true, tag, pos };
  if (Array.isArray(v)) return { kind: 'seq', items: v.map((x) => node(x)), tag, pos };
  if (typeof v === 'object') {
    return { kind: 'map', entries: Object.entries(v).map(([key, value]) => ({ key, keyPos: pos, value: node(value) })), tag, pos };
  }
  return { kind: 'scalar', text: String(v), plain: true, tag, pos };
}

/** A validated setup step, e.g. `step('Text', {'/etc/x': 'y'})`. */
export function step(tag: string, value: Plain): StepConfig {
  const def = stepDef(tag);
  if (!def) throw new Error(`no step !${tag}`);
  return { tag, params: validate(def.schema, node(value)), pos };
}

const FULL: IdRange[] = [{ start: 0, end: 65535 }];

/** A container with defaults for everything but `setup` (and optional uids/gids/data-dirs). */
export function container(name: string, setup: StepConfig[], extra: Partial<ContainerConfig> = {}): ContainerConfig {
  return {
    name, setup, environ: {}, volumes: {}, uids: FULL, gids: FULL, autoClean: false, dataDirs: [],
    resolvConfPath: '/etc/resolv.conf', hostsFilePath: '/etc/hosts', defaultShell: [], pos, ...extra,
  };
}

/** A config holding the given containers. */
export function config(containers: ContainerConfig[], projectRoot = '/nonexistent-project'): Config {
  return {
    projectRoot, mainFile: `${projectRoot}/vagga.yaml`, files: [], containers: Object.fromEntries(containers.map((c) => [c.name, c])),
    commands: {}, warnings: [],
  };
}
