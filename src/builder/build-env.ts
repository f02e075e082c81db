/**
 * The environment of commands run by setup steps (vagga-inventory.md §2.6): a cleared env
 * with `TERM=dumb HOME=/tmp PATH=/usr/local/sbin:...:/bin`, plus the host's proxy variables
 * when the `proxy-env-vars` setting is on (default). `!Env` steps and distribution steps add
 * to it later (BuildContext.env). The user's own environment never leaks into a build.
 */
import type { Settings } from '../config/model.js';

/** Vagga's default PATH for builds and runs. */
export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Host variables forwarded when `proxy-env-vars` is true (Vagga's list, §1.9). */
export const PROXY_VARS = ['http_proxy', 'https_proxy', 'ftp_proxy', 'all_proxy', 'no_proxy'] as const;

/** The initial build env for commands in the container (pure). */
export function buildEnv(settings: Pick<Settings, 'proxyEnvVars'>, hostEnv: NodeJS.ProcessEnv): Record<string, string> {
  const env: Record<string, string> = { TERM: 'dumb', HOME: '/tmp', PATH: DEFAULT_PATH };
  if (settings.proxyEnvVars) {
    for (const name of PROXY_VARS) {
      const value = hostEnv[name];
      if (value !== undefined) env[name] = value;
    }
  }
  return env;
}
