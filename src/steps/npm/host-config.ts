/**
 * The host user's npm configuration, carried into the build so that npm (and yarn) inside
 * the container talk to the same registry through the same proxy with the same CA bundle as
 * the user's own npm. No registry is named here: whatever the host's npm says is used.
 *
 * `prepare` (host side) runs `npm config get registry strict-ssl cafile proxy https-proxy
 * noproxy` (npm-config(1): npm's answer already includes `npm_config_*` environment
 * variables, npmrc files and defaults) and copies the CA files it names (npm `cafile`, and
 * the `NODE_EXTRA_CA_CERTS` file node itself reads) into `<cache>/npm-host/`. The builder
 * reads that back; every npm or yarn command then gets `npm_config_*` / `YARN_*` variables
 * and the CA files copied into the root's /tmp (emptied when the build finishes).
 * Auth tokens are deliberately not carried over.
 */
import { copyFileSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inContainerRoot } from '../root-path.js';
import { spawnHostSync } from '../../sandbox/host-spawn.js';

/** What is carried into the build. CA fields say whether the file was copied. */
export interface HostNpmConfig {
  registry?: string;
  strictSsl?: boolean;
  proxy?: string;
  httpsProxy?: string;
  noproxy?: string;
  /** npm's `cafile` was copied to `<cache>/npm-host/cafile.pem`. */
  cafile?: boolean;
  /** NODE_EXTRA_CA_CERTS was copied to `<cache>/npm-host/extra-ca.pem`. */
  extraCaCerts?: boolean;
}

/** Subdirectory of the cache dir holding the captured configuration. */
export const NPM_HOST_DIR = 'npm-host';
const CONFIG_FILE = 'config.json';
const CAFILE = 'cafile.pem';
const EXTRA_CA = 'extra-ca.pem';
/** Where the CA files are put inside the root for npm/yarn runs. */
export const CA_DIR_IN_ROOT = '/tmp/.vagga-npm';

/** The keys asked from `npm config get`. */
export const NPM_CONFIG_KEYS = ['registry', 'strict-ssl', 'cafile', 'proxy', 'https-proxy', 'noproxy'] as const;

/**
 * Parse `npm config get K1 K2 ...` output (`key=value` lines; `null`/`undefined`/empty mean
 * unset) into a key -> value map of the set keys.
 */
export function parseNpmConfigGet(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    const key = line.slice(0, eq).trim();
    const value = line.slice(eq + 1).trim();
    if (value === '' || value === 'null' || value === 'undefined') continue;
    out.set(key, value);
  }
  return out;
}

/**
 * Environment for npm and yarn runs inside the container from a captured configuration
 * (pure). CA files are expected at CA_DIR_IN_ROOT.
 */
export function npmEnvFor(config: HostNpmConfig): Record<string, string> {
  const env: Record<string, string> = {};
  const both = (name: string, value: string) => {
    env[`npm_config_${name}`] = value;
    env[`YARN_${name.toUpperCase()}`] = value;
  };
  if (config.registry) both('registry', config.registry);
  if (config.strictSsl === false) both('strict_ssl', 'false');
  if (config.proxy) both('proxy', config.proxy);
  if (config.httpsProxy) both('https_proxy', config.httpsProxy);
  if (config.noproxy) both('noproxy', config.noproxy);
  if (config.cafile) both('cafile', `${CA_DIR_IN_ROOT}/${CAFILE}`);
  if (config.extraCaCerts) env.NODE_EXTRA_CA_CERTS = `${CA_DIR_IN_ROOT}/${EXTRA_CA}`;
  // Nothing to update-check or audit inside a build.
  env.npm_config_update_notifier = 'false';
  env.npm_config_fund = 'false';
  env.npm_config_audit = 'false';
  return env;
}

/** Copy `from` to `to` via a temp name; false when `from` cannot be read. */
function copyAtomic(from: string, to: string): boolean {
  const tmp = `${to}.${process.pid}.tmp`;
  try {
    copyFileSync(from, tmp);
    renameSync(tmp, to);
    return true;
  } catch {
    rmSync(tmp, { force: true });
    return false;
  }
}

/**
 * Host side: ask the host's npm (when installed; else only `npm_config_registry` from the
 * environment is used) and store the result under `<cacheDir>/npm-host/`. Never throws for a
 * missing or failing npm: the build then uses npm's defaults inside the container.
 */
export function captureHostNpmConfig(cacheDir: string, hostEnv: NodeJS.ProcessEnv = process.env): HostNpmConfig {
  const dir = join(cacheDir, NPM_HOST_DIR);
  mkdirSync(dir, { recursive: true });
  const r = spawnHostSync('npm', ['config', 'get', ...NPM_CONFIG_KEYS], {
    cwd: dir, env: hostEnv, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 30_000,
  });
  const got = r.status === 0 ? parseNpmConfigGet(r.stdout) : new Map<string, string>();
  const envRegistry = hostEnv.npm_config_registry ?? hostEnv.NPM_CONFIG_REGISTRY;
  const config: HostNpmConfig = {};
  const registry = got.get('registry') ?? envRegistry;
  if (registry) config.registry = registry;
  if (got.get('strict-ssl') === 'false') config.strictSsl = false;
  if (got.get('proxy')) config.proxy = got.get('proxy');
  if (got.get('https-proxy')) config.httpsProxy = got.get('https-proxy');
  if (got.get('noproxy')) config.noproxy = got.get('noproxy');
  const cafile = got.get('cafile');
  if (cafile && copyAtomic(cafile, join(dir, CAFILE))) config.cafile = true;
  const extra = hostEnv.NODE_EXTRA_CA_CERTS;
  if (extra && copyAtomic(extra, join(dir, EXTRA_CA))) config.extraCaCerts = true;
  const tmp = join(dir, `${CONFIG_FILE}.${process.pid}.tmp`);
  writeFileSync(tmp, JSON.stringify(config));
  renameSync(tmp, join(dir, CONFIG_FILE));
  return config;
}

/** Builder side: the captured configuration (empty when prepare did not run or it is unreadable). */
export function readHostNpmConfig(cacheDir: string): HostNpmConfig {
  try {
    return JSON.parse(readFileSync(join(cacheDir, NPM_HOST_DIR, CONFIG_FILE), 'utf8')) as HostNpmConfig;
  } catch {
    return {};
  }
}

/**
 * Builder side: copy the captured CA files into `<root>/tmp/.vagga-npm/` (the paths npmEnvFor
 * names) and return the env for npm/yarn runs. CA files that vanished are dropped from the env.
 */
export function installHostNpmConfig(cacheDir: string, root: string): Record<string, string> {
  const config = readHostNpmConfig(cacheDir);
  const inRoot = inContainerRoot(root, CA_DIR_IN_ROOT);
  if (config.cafile || config.extraCaCerts) mkdirSync(inRoot, { recursive: true, mode: 0o755 });
  if (config.cafile) config.cafile = copyAtomic(join(cacheDir, NPM_HOST_DIR, CAFILE), join(inRoot, CAFILE));
  if (config.extraCaCerts) config.extraCaCerts = copyAtomic(join(cacheDir, NPM_HOST_DIR, EXTRA_CA), join(inRoot, EXTRA_CA));
  return npmEnvFor(config);
}
