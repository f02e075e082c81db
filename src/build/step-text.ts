/**
 * How setup steps are named in build output and errors: `!Tag <summary>` (like Vagga's
 * `Step: <debug repr>` lines in timings.log, shortened to one line) and `file:line`.
 */
import { isAbsolute, relative } from 'node:path';
import type { Pos } from '../config/qnode.js';
import type { StepConfig } from '../config/model.js';

const MAX = 60;

function clip(text: string): string {
  const first = text.split('\n').find((l) => l.trim() !== '')?.trim() ?? '';
  const more = first !== text.trim();
  if (first.length > MAX) return `${first.slice(0, MAX - 3)}...`;
  return more ? `${first} ...` : first;
}

function brief(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return value.map(brief).join(' ');
  if (value instanceof RegExp) return value.source;
  if (typeof value === 'object') {
    return Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined && v !== null && v !== '' && !(Array.isArray(v) && v.length === 0))
      .map(([k, v]) => (typeof v === 'object' ? `${k}: ${brief(v)}` : `${k}=${brief(v)}`))
      .join(', ');
  }
  return '';
}

/** One-line description of a step for progress output: `!Sh apt-get update ...`. */
export function stepSummary(step: Pick<StepConfig, 'tag' | 'params'>): string {
  const text = clip(brief(step.params));
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
