/**
 * Settings (vagga-inventory.md §1.9). Sources, later wins:
 * 1. "secure" user files `$HOME/.config/vagga/settings.yaml`, `$HOME/.vagga/settings.yaml`,
 *    `$HOME/.vagga.yaml`, each followed by its `site-settings` entry for this project;
 * 2. the `VAGGA_SETTINGS` environment variable (YAML text, same keys as the user files);
 * 3. "insecure" project files `<root>/.vagga.settings.yaml`, `<root>/.vagga/settings.yaml`,
 *    which may only set a restricted subset (a project must not redirect storage, caches
 *    or host volumes of whoever runs it).
 * Keys Vagga knows but this version does not use are accepted (type-checked) and ignored.
 * Host directories (`cache-dir`, `storage-dir`, `external-volumes`) must be absolute or
 * start with `~/`; a relative one is an error (Vagga would use it relative to wherever it
 * runs, which differs between subdirectories and projects).
 * `build-lock-wait` is accepted but waiting is always on: a second vagga building the same
 * container waits for the first (with `Other process is doing a build (.tmp.<name>).
 * Waiting...`) instead of Vagga's `Can't lock container build ... Aborting...` (storage/lock.ts):
 * aborting loses the user's command, and waiting is what Vagga's own test harness configures.
 * `disable-auto-clean` is applied from the user's settings only (Vagga parses it in project
 * files but ignores it there). `storage-dir` / `storage-subdir-from-env-var`: storage/storage-link.ts.
 */
import { existsSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { ConfigError } from '../errors/vagga-error.js';
import type { Settings } from './model.js';
import type { QNode } from './qnode.js';
import { PROJECT_SETTINGS_FILES, USER_SETTINGS_FILES } from './project-files.js';
import { bool, def, int, map, opt, str, struct, validate, type Schema } from './schema.js';
import { parseQuireText, readQuireFile } from './yaml-dialect.js';
import { resolveProjectPath } from './project-path.js';

const common = {
  'debian-mirror': opt(str()),
  'ubuntu-mirror': opt(str()),
  'ubuntu-ppa-mirror': opt(str()),
  'alpine-mirror': opt(str()),
  'build-lock-wait': opt(bool()),
  // Used from the user's settings only (see apply()):
  'disable-auto-clean': opt(bool()),
  environ: def(map(str()), {}),
  // Accepted, not used by this version:
  'version-check': opt(bool()),
  'shared-cache': opt(bool()),
  'ubuntu-skip-locking': opt(bool()),
  'run-symlinks-as-commands': opt(bool()),
  'versioned-build-dir': opt(bool()),
};

const secureOnly = {
  'storage-dir': opt(str()),
  'storage-subdir-from-env-var': opt(str()),
  'cache-dir': opt(str()),
  // The per-step build cache (issue 9): on unless false; a size budget in bytes (suffixes as volume sizes).
  'build-cache': opt(bool()),
  'build-cache-max-size': opt(int({ min: 0 })),
  'proxy-env-vars': opt(bool()),
  'propagate-environ': def(listOfStrings(), []),
  'external-volumes': def(map(str()), {}),
  'push-image-script': opt(str()),
  // Registries spoken to over plain HTTP besides loopback (HOST or HOST:PORT; src/image/registry/reference.ts).
  'insecure-registries': def(listOfStrings(), []),
  'auto-apply-sysctl': opt(bool()),
  'index-all-images': opt(bool()),
  'hard-link-identical-files': opt(bool()),
  'hard-link-between-projects': opt(bool()),
};

function listOfStrings(): Schema<string[]> {
  return {
    describe: 'a list of strings',
    optional: false,
    parse: (node, ctx) => {
      if (node?.kind === 'seq' && node.tag === undefined) {
        return node.items.map((it, i) => str().parse(it, { ...ctx, path: `${ctx.path}[${i}]` }));
      }
      return [str().parse(node, ctx)];
    },
  };
}

const siteSchema = struct({ ...common, ...secureOnly });
const secureSchema = struct({ ...common, ...secureOnly, 'site-settings': def(map(siteSchema), {}) });
type SecureOut = ReturnType<typeof siteSchema.parse>;

/** Settings keys a project's own files may set. */
export const INSECURE_SETTINGS: readonly string[] = Object.keys(common);


function defaults(): Settings {
  return { buildLockWait: false, proxyEnvVars: true, propagateEnviron: [], environ: {}, externalVolumes: {} };
}

function expandHome(path: string, env: NodeJS.ProcessEnv, where: QNode): string {
  if (path !== '~' && !path.startsWith('~/')) return path;
  if (!env.HOME) throw new ConfigError('config.bad-setting', `Can't expand ~ in ${JSON.stringify(path)}: HOME is not set`, where.pos);
  return join(env.HOME, path.slice(1));
}

/**
 * A host directory setting (`cache-dir`, `storage-dir`, `external-volumes` entries) after
 * `~` expansion. Relative paths are refused rather than resolved: vagga runs from any
 * directory of any project, and `VAGGA_SETTINGS` has no directory of its own to resolve
 * against. Throws ConfigError (126) at the setting's position.
 */
function hostDir(key: string, path: string, env: NodeJS.ProcessEnv, where: QNode): string {
  const expanded = expandHome(path, env, where);
  if (!isAbsolute(expanded)) {
    throw new ConfigError('config.bad-setting', `Setting ${key} must be an absolute path (or start with ~/), got ${JSON.stringify(path)}`, where.pos, undefined,
      'Relative paths are not resolved (vagga runs from any directory of any project); write the full path, e.g. ~/.cache/vagga.');
  }
  return expanded;
}

function entryNode(root: QNode, key: string): QNode {
  if (root.kind === 'map') {
    const e = root.entries.find((x) => x.key.replace(/_/g, '-') === key);
    if (e) return e.value;
  }
  return root;
}

/**
 * Apply one validated settings mapping onto `s` (present keys override; maps merge per key).
 * `secure`: the mapping comes from the user (files, VAGGA_SETTINGS); `disable-auto-clean`
 * is applied only then (Vagga parses it in project files but ignores it there, §1.9).
 */
function apply(s: Settings, v: Partial<SecureOut>, node: QNode, env: NodeJS.ProcessEnv, secure = false): void {
  if (v.debianMirror !== undefined) s.debianMirror = v.debianMirror;
  if (v.ubuntuMirror !== undefined) s.ubuntuMirror = v.ubuntuMirror;
  if (v.ubuntuPpaMirror !== undefined) s.ubuntuPpaMirror = v.ubuntuPpaMirror;
  if (v.alpineMirror !== undefined) s.alpineMirror = v.alpineMirror;
  if (v.buildLockWait !== undefined) s.buildLockWait = v.buildLockWait;
  if (v.proxyEnvVars !== undefined) s.proxyEnvVars = v.proxyEnvVars;
  if (secure && v.disableAutoClean !== undefined) s.disableAutoClean = v.disableAutoClean;
  if (v.storageSubdirFromEnvVar !== undefined) s.storageSubdirFromEnvVar = v.storageSubdirFromEnvVar;
  if (v.storageDir !== undefined) s.storageDir = hostDir('storage-dir', v.storageDir, env, entryNode(node, 'storage-dir'));
  if (v.buildCache !== undefined) s.buildCache = v.buildCache;
  if (v.buildCacheMaxSize !== undefined) s.buildCacheMaxSize = v.buildCacheMaxSize;
  if (v.cacheDir !== undefined) s.cacheDir = hostDir('cache-dir', v.cacheDir, env, entryNode(node, 'cache-dir'));
  if (v.pushImageScript !== undefined) s.pushImageScript = v.pushImageScript;
  if (v.indexAllImages !== undefined) s.indexAllImages = v.indexAllImages;
  if (v.hardLinkIdenticalFiles !== undefined) s.hardLinkIdenticalFiles = v.hardLinkIdenticalFiles;
  if (v.hardLinkBetweenProjects !== undefined) s.hardLinkBetweenProjects = v.hardLinkBetweenProjects;
  for (const host of v.insecureRegistries ?? []) (s.insecureRegistries ??= []).includes(host) || s.insecureRegistries.push(host);
  if (v.environ) Object.assign(s.environ, v.environ);
  if (v.externalVolumes) {
    for (const [name, path] of Object.entries(v.externalVolumes)) {
      s.externalVolumes[name] = hostDir(`external-volumes.${name}`, path, env, entryNode(node, 'external-volumes'));
    }
  }
  for (const pattern of v.propagateEnviron ?? []) if (!s.propagateEnviron.includes(pattern)) s.propagateEnviron.push(pattern);
}

function applySecure(s: Settings, root: QNode, projectRoot: string, env: NodeJS.ProcessEnv): void {
  const v = validate(secureSchema, root);
  apply(s, v, root, env, true);
  const sites = entryNode(root, 'site-settings');
  for (const [path, site] of Object.entries(v.siteSettings)) {
    if (resolve(path) !== projectRoot) continue;
    const node = sites.kind === 'map' ? sites.entries.find((e) => e.key === path)?.value ?? sites : sites;
    apply(s, site, node, env, true);
  }
}

function applyProject(s: Settings, root: QNode, env: NodeJS.ProcessEnv): void {
  if (root.kind === 'map') {
    for (const e of root.entries) {
      const key = e.key.replace(/_/g, '-');
      if (!e.key.startsWith('_') && (key in secureOnly || key === 'site-settings')) {
        throw new ConfigError('config.bad-setting',
          `Setting ${JSON.stringify(e.key)} can only be set in your user settings, not in a project's settings file`,
          e.keyPos, `.${e.key}`,
          `Put it in ~/.vagga.yaml (or ~/.config/vagga/settings.yaml, VAGGA_SETTINGS). Project files may set: ${INSECURE_SETTINGS.join(', ')}.`,
        );
      }
    }
  }
  apply(s, validate(struct(common), root), root, env);
}

/**
 * Merge settings for the project at `projectRoot` (absolute) from the user's files, the
 * `VAGGA_SETTINGS` variable and the project's own settings files (see the module comment).
 * `env` supplies HOME and VAGGA_SETTINGS. Throws ConfigError (126) on an unreadable or
 * invalid file, or when a project file sets a user-only key.
 */
export function loadSettings(projectRoot: string, env: NodeJS.ProcessEnv): Settings {
  const s = defaults();
  const root = resolve(projectRoot);
  if (env.HOME) {
    for (const rel of USER_SETTINGS_FILES) {
      const file = join(env.HOME, rel);
      if (existsSync(file)) applySecure(s, readQuireFile(file).root, root, env);
    }
  }
  if (env.VAGGA_SETTINGS) applySecure(s, parseQuireText(env.VAGGA_SETTINGS, '<env:VAGGA_SETTINGS>').root, root, env);
  for (const rel of PROJECT_SETTINGS_FILES) {
    const file = join(root, rel);
    // A project settings file is the project's own: one linked out of the project is refused, never read.
    if (existsSync(file)) applyProject(s, readQuireFile(resolveProjectPath(root, file, { key: rel })).root, env);
  }
  return s;
}
