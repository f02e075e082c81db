/**
 * Registry authentication (distribution token auth): a request answered `401` with
 * `WWW-Authenticate: Bearer realm="…",service="…",scope="…"` is retried with a token fetched
 * from the realm (with Basic credentials when the user has some for the host); a `Basic`
 * challenge is answered with the credentials directly. Credentials come from the first
 * file that has an entry for the host: `$REGISTRY_AUTH_FILE`, `$XDG_RUNTIME_DIR/containers/
 * auth.json` (podman/skopeo), `~/.docker/config.json` (`{"auths": {"HOST": {"auth":
 * base64("user:password")}}}`); none: anonymous. Credential helpers are not run.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** One parsed `WWW-Authenticate` challenge. */
export interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

/** Parse a `WWW-Authenticate` value (one challenge: `Scheme k="v",k2=v2`); undefined when empty. Pure. */
export function parseChallenge(header: string | null | undefined): Challenge | undefined {
  if (!header) return undefined;
  const m = /^\s*([A-Za-z]+)\s*(.*)$/.exec(header);
  if (!m) return undefined;
  const params: Record<string, string> = {};
  const re = /([A-Za-z_]+)=(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))\s*,?\s*/g;
  for (const p of m[2]!.matchAll(re)) params[p[1]!.toLowerCase()] = (p[2] ?? p[3] ?? '').replace(/\\(.)/g, '$1');
  return { scheme: m[1]!.toLowerCase(), params };
}

/** The files credentials are read from, in order (see the module comment). */
export function authFiles(env: NodeJS.ProcessEnv): string[] {
  const files: string[] = [];
  if (env.REGISTRY_AUTH_FILE) files.push(env.REGISTRY_AUTH_FILE);
  if (env.XDG_RUNTIME_DIR) files.push(join(env.XDG_RUNTIME_DIR, 'containers', 'auth.json'));
  if (env.HOME) files.push(join(env.HOME, '.docker', 'config.json'));
  return files;
}

/**
 * The `user:password` for registry `host` (`HOST[:PORT]`) from the first auth file with an
 * entry for it (keys `HOST`, `https://HOST`, `http://HOST`, optionally with `/v1/` or `/v2/`);
 * undefined: anonymous. Unreadable or malformed files are skipped.
 */
export function credentialsFor(host: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  for (const file of authFiles(env)) {
    let auths: Record<string, { auth?: string }> | undefined;
    try {
      auths = (JSON.parse(readFileSync(file, 'utf8')) as { auths?: Record<string, { auth?: string }> }).auths;
    } catch {
      continue;
    }
    if (!auths) continue;
    for (const [key, entry] of Object.entries(auths)) {
      const bare = key.replace(/^https?:\/\//, '').replace(/\/(v1|v2)\/?$/, '').replace(/\/$/, '');
      if (bare === host && entry?.auth) return Buffer.from(entry.auth, 'base64').toString('utf8');
    }
  }
  return undefined;
}

/** `Basic <base64(user:password)>`. */
export function basicHeader(credentials: string): string {
  return `Basic ${Buffer.from(credentials).toString('base64')}`;
}

/**
 * The `Authorization` value answering `challenge` for `host`: a bearer token fetched from
 * the realm (GET realm?service=&scope=, Basic credentials when known; the JSON's `token` or
 * `access_token`), or Basic credentials for a Basic challenge. Undefined when the challenge
 * cannot be answered (Basic without credentials, unknown scheme, the token request failing).
 */
export async function answerChallenge(challenge: Challenge, host: string, scope: string | undefined, env: NodeJS.ProcessEnv = process.env): Promise<string | undefined> {
  const credentials = credentialsFor(host, env);
  if (challenge.scheme === 'basic') return credentials ? basicHeader(credentials) : undefined;
  if (challenge.scheme !== 'bearer' || !challenge.params.realm) return undefined;
  const url = new URL(challenge.params.realm);
  if (challenge.params.service) url.searchParams.set('service', challenge.params.service);
  const wanted = scope ?? challenge.params.scope;
  if (wanted) url.searchParams.set('scope', wanted);
  const res = await fetch(url, { headers: credentials ? { authorization: basicHeader(credentials) } : {} });
  if (!res.ok) {
    await res.body?.cancel();
    return undefined;
  }
  const body = await res.json() as { token?: string; access_token?: string };
  const token = body.token ?? body.access_token;
  return token ? `Bearer ${token}` : undefined;
}
