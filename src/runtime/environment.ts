/**
 * The environment of a command run in a container (inventory §2.7, §1.7, §1.9, §1.10).
 * Nothing from the host is inherited except what the rules below forward.
 * All functions here are pure: the host environment is passed in.
 */
import { VaggaError } from '../errors/vagga-error.js';

/** PATH every container command starts with (Vagga's default). */
export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Host variables forwarded when the `proxy-env-vars` setting is on (default). */
export const PROXY_VARS = ['http_proxy', 'https_proxy', 'ftp_proxy', 'all_proxy', 'no_proxy'] as const;

/** Inputs of commandEnvironment, lowest precedence first. */
export interface EnvironmentInput {
  /** The host environment (process.env). */
  host: NodeJS.ProcessEnv;
  /** Setting `proxy-env-vars`: forward the proxy variables (lower- and upper-case spellings). */
  proxyEnvVars: boolean;
  /** Parsed container `environ-file` (see parseEnvironFile), if any. */
  environFile?: Record<string, string>;
  /** Container `environ`. */
  containerEnviron: Record<string, string>;
  /** Command `environ` (none for `_run`). */
  commandEnviron?: Record<string, string>;
  /** Merged settings `environ` (home files, site-settings, project files). */
  settingsEnviron: Record<string, string>;
  /** Variables from vaggaenvVariables: `VAGGAENV_*`, `-e`, `-E`, propagate-environ. */
  vaggaenv: Record<string, string>;
  /** `VAGGAOPT_*` / `VAGGACLI_*` from docopt `options` (highest). */
  options?: Record<string, string>;
}

/**
 * Compute the command's complete environment. Precedence, lowest to highest (§2.7):
 * `PATH` (default) and `TERM` (host value, else `dumb`); proxy variables; environ-file;
 * container environ; command environ; settings environ; VAGGAENV_/-e/-E; VAGGAOPT_/VAGGACLI_.
 */
export function commandEnvironment(input: EnvironmentInput): Record<string, string> {
  const env: Record<string, string> = {
    PATH: DEFAULT_PATH,
    TERM: input.host.TERM || 'dumb',
  };
  if (input.proxyEnvVars) {
    for (const name of PROXY_VARS) {
      for (const spelling of [name, name.toUpperCase()]) {
        const value = input.host[spelling];
        if (value !== undefined) env[spelling] = value;
      }
    }
  }
  Object.assign(env, input.environFile, input.containerEnviron, input.commandEnviron,
    input.settingsEnviron, input.vaggaenv, input.options);
  return env;
}

/** Where the `VAGGAENV_`-style variables come from. */
export interface VaggaenvInput {
  host: NodeJS.ProcessEnv;
  /** `-e NAME`, in command-line order. */
  useEnv: readonly string[];
  /** `-E NAME=VALUE` or `-E NAME`, in command-line order. */
  setEnv: readonly string[];
  /** Setting `propagate-environ`: `*`-globs of host variable names. */
  propagate: readonly string[];
}

/**
 * Variables forwarded by name, without the `VAGGAENV_` prefix (Vagga's launcher/environ.rs).
 * Lowest to highest: `VAGGAENV_X` already in the host env; `-e X` (host value, empty if
 * unset); `-E X=V` (a bare `-E X` drops X); then propagate-environ matches fill only gaps.
 * Throws VaggaError 126 when a `-e` name contains `=` (exact text from §1.7), or when a
 * `-e`/`-E` name is empty (`-E =x`: the sandbox could not set such a variable).
 */
export function vaggaenvVariables(input: VaggaenvInput): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(input.host)) {
    if (key.startsWith('VAGGAENV_') && value !== undefined) out[key.slice('VAGGAENV_'.length)] = value;
  }
  for (const name of input.useEnv) {
    if (name.includes('=')) {
      throw new VaggaError('Error propagating environment: Environment variable name (for option `-e`/`--use-env`) '
        + "can't contain equals `=` character. To set key-value pair use `-E`/`--environ` option", { code: 'config.env-name-invalid' });
    }
    if (name === '') throw emptyName('-e`/`--use-env', name);
    out[name] = input.host[name] ?? '';
  }
  for (const pair of input.setEnv) {
    const eq = pair.indexOf('=');
    if (eq === 0 || pair === '') throw emptyName('-E`/`--environ', pair);
    if (eq < 0) delete out[pair];
    else out[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  if (input.propagate.length > 0) {
    const re = new RegExp(input.propagate.map((p) => `^${p.split('*').map(escapeRegExp).join('.*')}$`).join('|'));
    for (const [key, value] of Object.entries(input.host)) {
      if (value !== undefined && re.test(key) && !(key in out)) out[key] = value;
    }
  }
  return out;
}

/** The 126 error for an empty variable name given to `option` (written as in `-e`/`--use-env`). */
function emptyName(option: string, given: string): VaggaError {
  return new VaggaError(`Error propagating environment: Environment variable name (for option \`${option}\`) can't be empty, `
    + `got ${JSON.stringify(given)}. Use \`-E NAME=VALUE\` to set a variable, \`-e NAME\` to forward one from your environment`,
  { code: 'config.env-name-invalid' });
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Parse a container `environ-file` (§1.3): one `KEY=value` per line, a value wrapped in
 * double quotes has them stripped; blank lines and lines without `=` are skipped; no
 * escapes or continuations.
 */
export function parseEnvironFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '');
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    let value = line.slice(eq + 1);
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    out[line.slice(0, eq).trim()] = value;
  }
  return out;
}
