/**
 * How setup steps are named in build output and errors: `!Tag <summary>` (like Vagga's
 * `Step: <debug repr>` lines in timings.log, shortened to one line) and `file:line`.
 */
import { isAbsolute, relative } from 'node:path';
import type { Pos } from '../config/qnode.js';
import type { StepConfig } from '../config/model.js';
import type { StepDef } from '../steps/step.js';

/**
 * Longest step summary (`!Tag text`): a `Step NN/NN: ` progress line with it stays within
 * an 80-column terminal.
 */
const MAX = 66;

function clip(text: string, max: number): string {
  const first = text.split('\n').find((l) => l.trim() !== '')?.trim() ?? '';
  const more = first !== text.trim();
  if (first.length > max || (more && first.length + 4 > max)) return `${first.slice(0, Math.max(0, max - 3))}...`;
  return more ? `${first} ...` : first;
}

/** Keys holding file modes, shown in octal as written in vagga.yaml (`umask=0o002`). */
const MODE_KEYS = new Set(['umask', 'mode']);

/** The vagga.yaml spelling of a params key: `userId` -> `user-id` (keys with no capitals unchanged). */
export function yamlKey(key: string): string {
  return /^[a-z][A-Za-z0-9]*$/.test(key) ? key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`) : key;
}

/** A tagged value of the model (`{ kind: 'Container', name }` for `source: !Container NAME`). */
function isTagged(v: unknown): v is { kind: string } & Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && typeof (v as { kind?: unknown }).kind === 'string';
}

/** A tagged value as written in vagga.yaml: `!Container gen`, `!Git url=..., revision=...`. */
function taggedText(v: { kind: string } & Record<string, unknown>): string {
  const { kind, ...rest } = v;
  const keys = Object.keys(rest).filter((k) => rest[k] !== undefined);
  if (keys.length === 0) return `!${kind}`;
  if (keys.length === 1 && keys[0] === 'name') return `!${kind} ${brief(rest.name)}`;
  return `!${kind} ${brief(rest)}`;
}

function brief(value: unknown, userKeys = false): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return value.map((v) => brief(v)).join(' ');
  if (value instanceof RegExp) return value.source;
  if (typeof value === 'object') {
    return Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined && v !== null && v !== '' && !(Array.isArray(v) && v.length === 0))
      .map(([k, v]) => {
        const key = userKeys ? k : yamlKey(k);
        if (isTagged(v)) return `${key}=${taggedText(v)}`;
        if (typeof v === 'object') return `${key}: ${brief(v)}`;
        if (!userKeys && typeof v === 'number' && MODE_KEYS.has(k)) return `${key}=0o${v.toString(8).padStart(3, '0')}`;
        return `${key}=${brief(v)}`;
      })
      .join(', ');
  }
  return '';
}

/**
 * One-line description of a step for progress output: `!Sh apt-get update ...`,
 * `!Copy source=/work/x, path=/x, umask=0o002, preserve-permissions=true`: keys in
 * vagga.yaml's kebab-case, modes in octal, the user's own keys (`!Env`, `!Text`: the step's
 * `def` says so with `userKeyed`) as written.
 */
export function stepSummary(step: Pick<StepConfig, 'tag' | 'params'>, def?: Pick<StepDef, 'userKeyed'>): string {
  const text = clip(brief(step.params, def?.userKeyed === true), Math.max(20, MAX - step.tag.length - 2));
  return text ? `!${step.tag} ${text}` : `!${step.tag}`;
}

/** `file:line` of a step, the file relative to the project root when inside it. */
export function stepLocation(pos: Pos | undefined, projectRoot: string): string {
  if (!pos) return 'unknown position';
  let file = pos.file;
  if (isAbsolute(file)) {
    const rel = relative(projectRoot, file);
    if (!rel.startsWith('..') && !isAbsolute(rel)) file = rel;
  }
  return `${file}:${pos.line}`;
}
