/**
 * `!Depends path` or `!Depends {path, ignore-regex, include-regex, rules, no-default-rules}`
 * (vagga-inventory.md §1.4): no build action; makes a file or tree under /work part of the
 * version. Hash per entry (§2.1): `filename` = the path as the container sees it, for
 * regular files `is_executable` (owner x bit) and the raw content, for symlinks `symlink`.
 * A missing path makes the version unknown.
 */
import { str, struct, type Out } from '../config/schema.js';
import { createPathFilter, type FilterOptions } from '../version/filters.js';
import { rustJoin } from '../version/paths.js';
import { workToProject } from './root-path.js';
import { hashFileContent, hashTree } from '../version/tree.js';
import { versionError } from '../version/errors.js';
import { filterFields } from './filter-fields.js';
import type { StepDef } from './step.js';

const schema = struct({ path: str(), ...filterFields }, { shorthand: 'path' });

/** `!Depends` parameters; `path` is relative to /work (an absolute path replaces /work, as Vagga's path join does). */
export type DependsParams = Out<typeof schema>;

const depends: StepDef<DependsParams> = {
  tag: 'Depends',
  schema,
  hash(params, digest, ctx) {
    const containerPath = rustJoin('/work', params.path);
    const hostPath = workToProject('!Depends', containerPath, ctx.projectRoot, 'path');
    if (hostPath === undefined) throw versionError('!Depends', `path ${JSON.stringify(containerPath)} is not inside /work`);
    const filter = createPathFilter(params);
    hashTree(digest, { hostPath, containerPath }, filter, (entry, d) => {
      d.field('filename', entry.containerPath);
      if (entry.stat.isFile()) d.field('is_executable', (entry.stat.mode & 0o100) !== 0);
      hashFileContent(entry, d);
    }, (r) => ctx.unknown(r), '!Depends');
  },
  async build(params, ctx) {
    // No action; only the "no include rules" warning, as Vagga prints it at build time.
    createPathFilter(params, { warn: (m) => ctx.log.warn(m) });
  },
};

/** The `!Depends` step. */
export const steps: StepDef<any>[] = [depends];
