/**
 * Where globally installed node modules can be found. Vagga's npm steps run on Alpine, whose
 * npm installs `--global` packages under the prefix /usr, so Vagga users point
 * `NODE_PATH` at `/usr/lib/node_modules` (also where `!YarnDependencies` installs). Debian's
 * npm has the global prefix /usr/local (npm-folders(5): `{prefix}/lib/node_modules`), so its
 * modules land in `/usr/local/lib/node_modules`. After each npm install the two are joined:
 * `/usr/lib/node_modules` becomes a symlink to `../local/lib/node_modules` when it does not
 * exist; when it is a real directory (yarn was there first), every module npm installed that
 * it lacks is linked into it one by one (scoped `@org` directories entry by entry). Nothing
 * that exists is replaced.
 */
import { lstatSync, mkdirSync, readdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';

/** Container path of npm's global modules on Debian/Ubuntu (prefix /usr/local). */
export const NPM_GLOBAL_MODULES = '/usr/local/lib/node_modules';
/** Container path Vagga users put in NODE_PATH (npm's global modules on Alpine, yarn's modules folder). */
export const VAGGA_NODE_MODULES = '/usr/lib/node_modules';

type Kind = 'dir' | 'symlink' | 'other' | undefined;

function kind(path: string): Kind {
  try {
    const st = lstatSync(path);
    return st.isSymbolicLink() ? 'symlink' : st.isDirectory() ? 'dir' : 'other';
  } catch {
    return undefined;
  }
}

function entries(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/** Link each entry of `from` missing in `to` (host paths); `target` is `from`'s container path. Scoped dirs recurse once. */
function linkEntries(from: string, to: string, target: string, scoped: boolean): void {
  for (const name of entries(from)) {
    if (name.startsWith('.')) continue;
    const at = join(to, name);
    const k = kind(at);
    if (k === undefined) symlinkSync(`${target}/${name}`, at);
    else if (k === 'dir' && scoped && name.startsWith('@')) linkEntries(join(from, name), at, `${target}/${name}`, false);
  }
}

/**
 * Make the modules in NPM_GLOBAL_MODULES of the root `root` (host path) visible under
 * VAGGA_NODE_MODULES too (see the file comment). Does nothing when npm installed nothing there.
 */
export function joinNodeModulePaths(root: string): void {
  const npmDir = join(root, NPM_GLOBAL_MODULES.slice(1));
  if (kind(npmDir) !== 'dir') return;
  const vaggaDir = join(root, VAGGA_NODE_MODULES.slice(1));
  const k = kind(vaggaDir);
  if (k === undefined) {
    mkdirSync(join(vaggaDir, '..'), { recursive: true });
    symlinkSync('../local/lib/node_modules', vaggaDir);
  } else if (k === 'dir') {
    linkEntries(npmDir, vaggaDir, NPM_GLOBAL_MODULES, true);
  }
}
