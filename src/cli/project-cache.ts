/**
 * Fast path for repeated runs: the validated config, the merged settings and the version
 * hashes of containers are cached in `<project>/.vagga/.cache/config-cache.json`, so that
 * an unchanged project is loaded without the YAML parser, the schemas or the setup-step
 * registry (start-up time matters: `vagga _run C true` runs on every editor keystroke for
 * some users, Vagga issue #22).
 *
 * The cache is valid while every input is unchanged: each file in Config.files, every
 * settings file and implicit local mixin (existence, size, mtime in ns, inode), the
 * `HOME` and `VAGGA_SETTINGS` variables and the running vagga script itself. Version hashes
 * are cached only for containers whose hash depends on nothing but the config (no
 * `!Depends`/`!Copy` or other step that reads project files; see StepDef.hashReadsOnlyParams).
 * Known gap: creating a `mixins:` file that was missing when the cache was written does
 * not invalidate it (edit vagga.yaml, or set VAGGA_NO_CONFIG_CACHE=1).
 *
 * Writes are best-effort: any I/O problem just means no cache.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Config, Settings } from '../config/model.js';
import type { Project } from '../config/project.js';
import { checkStorageTree } from '../storage/planted-links.js';
import type { StepRegistry } from '../steps/step.js';
import { walkDependencies } from '../config/dependency-walk.js';
import { LOCAL_MIXINS, MAIN_CONFIG_FILES, PROJECT_FILES, USER_SETTINGS_FILES } from '../config/project-files.js';

const FORMAT = 1;
/** Relative to the project root. */
export const CACHE_FILE = '.vagga/.cache/config-cache.json';


interface CacheFile {
  format: number;
  root: string;
  key: Record<string, string | null>;
  config: Config;
  settings: Settings;
  /** Containers whose version can be cached. */
  cacheable: string[];
  /** Container name -> 128-hex version hash. */
  versions: Record<string, string>;
}

/**
 * The project root as config/load.ts findProjectRoot finds it (first directory upwards
 * holding `.vagga/vagga.yaml`, `vagga.yaml` or an implicit local mixin), without its
 * warnings; undefined when there is none (the slow path then reports the error).
 */
export function quickProjectRoot(cwd: string): string | undefined {
  let dir = cwd;
  for (;;) {
    for (const name of [...MAIN_CONFIG_FILES, ...LOCAL_MIXINS]) {
      if (existsSync(join(dir, name))) return dir;
    }
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/**
 * Load config and settings the ordinary way (dynamic imports keep start-up light), then
 * refuse a `.vagga` the project planted (checkStorageTree). `checkedRoot`: a project root whose
 * storage tree the caller checked already (not checked again when the config's root is it).
 */
export async function loadProjectFromDisk(cwd: string, env: NodeJS.ProcessEnv, checkedRoot?: string): Promise<Project> {
  const [{ loadConfig }, { loadSettings }, { STEP_DEFS }] = await Promise.all([
    import('../config/load.js'),
    import('../config/settings.js'),
    import('../steps/registry.js'),
  ]);
  const config = loadConfig(STEP_DEFS, cwd);
  if (config.projectRoot !== checkedRoot) checkStorageTree(config.projectRoot);
  const settings = loadSettings(config.projectRoot, env);
  return { config, settings };
}

/** Files modified this recently (ns) before loading are not trusted for caching (racy edits). */
const RACY_NS = 100_000_000n;

function fileKey(path: string): string | null {
  try {
    const st = statSync(path, { bigint: true });
    return `${st.size}:${st.mtimeNs}:${st.ino}`;
  } catch {
    return null;
  }
}

/** The validity key: every input file's stat (null when missing) and the relevant env. */
function inputsKey(root: string, files: readonly string[], env: NodeJS.ProcessEnv): Record<string, string | null> {
  const key: Record<string, string | null> = {
    'env:HOME': env.HOME ?? null,
    'env:VAGGA_SETTINGS': env.VAGGA_SETTINGS ?? null,
    'tool': process.argv[1] ? fileKey(process.argv[1]) : null,
  };
  const paths = new Set<string>(files);
  // Files whose presence or content changes settings or the config.
  for (const rel of PROJECT_FILES) paths.add(join(root, rel));
  if (env.HOME) for (const rel of USER_SETTINGS_FILES) paths.add(join(env.HOME, rel));
  for (const p of paths) key[p] = fileKey(p);
  return key;
}

/** True when `v` survives a JSON round trip unchanged (plain data only; undefined fields are dropped). */
function jsonSafe(v: unknown): boolean {
  if (v === null || typeof v === 'string' || typeof v === 'boolean' || v === undefined) return true;
  if (typeof v === 'number') return Number.isFinite(v);
  if (Array.isArray(v)) return v.every((x) => x !== undefined && jsonSafe(x));
  if (typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) return Object.values(v).every(jsonSafe);
  return false;
}

/**
 * Containers whose version depends only on the config: every step (through `!Container`)
 * is one whose definition in `steps` has `hashReadsOnlyParams`.
 */
export function configOnlyContainers(config: Config, steps: StepRegistry): string[] {
  const ok = new Map<string, boolean>();
  const inLoop = new Set<string>();
  const seen = new Set<string>();
  const edges = (name: string) => (config.containers[name]?.setup ?? [])
    .flatMap((s) => (steps.get(s.tag)?.dependsOn?.(s.params) ?? []).map((dep) => ({ name: dep })));
  // The one dependency walk (config/dependency-walk.ts): a container is cacheable when its own
  // steps read only their parameters and every container it inlines is cacheable; loops are not.
  for (const name of Object.keys(config.containers)) {
    walkDependencies(name, edges, {
      enter: () => true,
      leave: (n, deps) => {
        const c = config.containers[n];
        ok.set(n, c !== undefined && !inLoop.has(n) && c.setup.every((s) => steps.get(s.tag)?.hashReadsOnlyParams === true)
          && deps.every((d) => ok.get(d) === true));
      },
      cycle: (loop) => { for (const { from } of loop) inLoop.add(from); },
    }, seen);
  }
  return Object.keys(config.containers).filter((n) => ok.get(n) === true);
}

function readCache(root: string, env: NodeJS.ProcessEnv): CacheFile | undefined {
  let data: CacheFile;
  try {
    data = JSON.parse(readFileSync(join(root, CACHE_FILE), 'utf8')) as CacheFile;
  } catch {
    return undefined;
  }
  if (data.format !== FORMAT || data.root !== root) return undefined;
  const fresh = inputsKey(root, data.config.files, env);
  const keys = Object.keys(fresh);
  if (keys.length !== Object.keys(data.key).length || keys.some((k) => data.key[k] !== fresh[k])) return undefined;
  return data;
}

function writeCache(root: string, data: CacheFile): void {
  try {
    const file = join(root, CACHE_FILE);
    if (!existsSync(join(root, '.vagga'))) return; // never create .vagga just for the cache
    mkdirSync(dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(data));
    renameSync(tmp, file);
  } catch {
    // Best effort: no cache.
  }
}

/** Attach `versions` and a recorder that keeps newly computed versions in the cache. */
function withVersions(project: Project, data: CacheFile | undefined, root: string): Project {
  if (!data) return project;
  const cacheable = new Set(data.cacheable);
  return {
    ...project,
    versions: data.versions,
    recordVersion(name, hash) {
      if (!cacheable.has(name) || data.versions[name] === hash) return;
      data.versions[name] = hash;
      writeCache(root, data);
    },
  };
}

/**
 * Load the project visible from `cwd` through the cache (see the module comment).
 * Same result and errors as loadProjectFromDisk; VAGGA_NO_CONFIG_CACHE=1 disables it.
 */
export async function loadProjectCached(cwd: string, env: NodeJS.ProcessEnv): Promise<Project> {
  const root = env.VAGGA_NO_CONFIG_CACHE ? undefined : quickProjectRoot(cwd);
  if (root === undefined) return loadProjectFromDisk(cwd, env);
  checkStorageTree(root);
  const cached = readCache(root, env);
  if (cached) return withVersions({ config: cached.config, settings: cached.settings }, cached, root);
  const startNs = BigInt(Date.now()) * 1_000_000n;
  const project = await loadProjectFromDisk(cwd, env, root);
  if (project.config.projectRoot !== root || !jsonSafe(project.config) || !jsonSafe(project.settings)) return project;
  const key = inputsKey(root, project.config.files, env);
  const racy = Object.entries(key).some(([k, v]) => k.startsWith('/') && v !== null && BigInt(v.split(':')[1]) > startNs - RACY_NS);
  if (racy) return project;
  const data: CacheFile = {
    format: FORMAT,
    root,
    key,
    config: project.config,
    settings: project.settings,
    cacheable: configOnlyContainers(project.config, (await import('../steps/registry.js')).STEP_DEFS),
    versions: {},
  };
  writeCache(root, data);
  return withVersions(project, data, root);
}
