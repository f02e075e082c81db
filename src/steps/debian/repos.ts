/**
 * Extra apt sources for the apt-based distributions (`!Debian`, `!Ubuntu*`): the list files
 * written by `!UbuntuRepo`, `!UbuntuPPA`, `!UbuntuUniverse` and `!Repo` into
 * `/etc/apt/sources.list.d/`, in sources.list(5) one-line format. Naming and content follow
 * Vagga (vagga-inventory.md §1.4 and §2.1 "Related digests"):
 *  - `!UbuntuRepo` file `<8 hex>-<suite>.list`, the 8 hex being the start of a fresh version
 *    digest over (opt `url`, `suite`, `components`) — e.g. `8afb3430-xenial.list` for
 *    `{suite: xenial, components: [universe]}` — holding `deb[ [trusted=yes]] URL SUITE COMPS`;
 *  - `universe.list`: the `universe` component of the suite, `-updates` and `-security`.
 * Pure functions produce names and texts; writeAptSource puts one into a root and makes the
 * next package step run `apt-get update` again.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { VaggaError } from '../../errors/vagga-error.js';
import { Digest } from '../../version/digest.js';
import type { BuildContext } from '../step.js';
import { requestAptUpdate } from './apt-run.js';
import type { DistroState } from './distro.js';
import { inContainerRoot } from '../root-path.js';

export { requestAptUpdate };

/** One extra apt repository: archive URL, suite (codename or `codename-updates`...), components. */
export interface AptRepo {
  url: string;
  suite: string;
  components: readonly string[];
  /** Adds `[trusted=yes]`: apt accepts the repository without a signature check. */
  trusted?: boolean;
}

/** Container path of the directory holding extra list files. */
export const SOURCES_LIST_D = '/etc/apt/sources.list.d';

/**
 * Vagga's list file name for `!UbuntuRepo`: first 8 hex of BLAKE2b-512 over opt `url` (only
 * when written in vagga.yaml), `suite` and `components` (same serialisation as the version
 * hash), then `-<suite>.list`.
 */
export function repoListFileName(url: string | undefined, suite: string, components: readonly string[]): string {
  const d = new Digest();
  d.optField('url', url);
  d.field('suite', suite);
  d.list('components', components);
  return `${d.hex().slice(0, 8)}-${suite}.list`;
}

/** One sources.list(5) line: `deb [trusted=yes] URL SUITE COMP...` (options only when trusted). */
export function repoLine(repo: AptRepo): string {
  const opts = repo.trusted ? ' [trusted=yes]' : '';
  return `deb${opts} ${repo.url} ${repo.suite}${repo.components.map((c) => ` ${c}`).join('')}`;
}

/** The three suites Vagga lists for an Ubuntu component: SUITE, SUITE-updates, SUITE-security. */
export function ubuntuSuites(codename: string): string[] {
  return [codename, `${codename}-updates`, `${codename}-security`];
}

/** Content of `universe.list` (Vagga's `!UbuntuUniverse`): `deb MIRROR S universe` for each of ubuntuSuites. */
export function universeListText(mirror: string, codename: string): string {
  return ubuntuSuites(codename).map((s) => `${repoLine({ url: mirror, suite: s, components: ['universe'] })}\n`).join('');
}

/**
 * What `!Repo NAME` means on an apt distribution: `component` (of the active suite) or
 * `suite/component` (e.g. `bookworm-updates/main`, `trusty-updates/universe`). A bare suite
 * part starting with `-` is appended to the codename (`-backports/main`). Throws VaggaError
 * (121) for other shapes.
 */
export function parseAptRepoName(name: string, codename: string): { suite: string; component: string } {
  const parts = name.split('/');
  const ok = (s: string | undefined) => s !== undefined && /^[A-Za-z0-9][A-Za-z0-9.+_-]*$/.test(s);
  if (parts.length === 1 && ok(parts[0])) return { suite: codename, component: parts[0]! };
  if (parts.length === 2 && ok(parts[1]) && (ok(parts[0]) || /^-[A-Za-z0-9.+_-]+$/.test(parts[0]!))) {
    return { suite: parts[0]!.startsWith('-') ? `${codename}${parts[0]}` : parts[0]!, component: parts[1]! };
  }
  throw new VaggaError(`Cannot parse repository name ${JSON.stringify(name)}: expected "component" or "suite/component"`, {
    code: 'build.bad-repo-name',
    hint: 'For example `!Repo contrib` or `!Repo bookworm-updates/main`.',
  });
}

/** File name (in sources.list.d) used for `!Repo NAME`: `vagga-repo-<suite>-<component>.list`. */
export function repoStepFileName(suite: string, component: string): string {
  return `vagga-repo-${suite}-${component}.list`;
}

/** The active distribution's codename and mirror, which every apt source step needs. */
export function aptDistro(distro: DistroState, tag: string): { codename: string; mirror: string } {
  if (distro.suite === undefined || distro.mirror === undefined) {
    throw new VaggaError(`!${tag} needs the distribution's suite and mirror, which are not known`, { code: 'build.no-distro' });
  }
  return { codename: distro.suite, mirror: distro.mirror };
}

/**
 * Write `/etc/apt/sources.list.d/<fileName>` with `text` (mode 0644) into the root and
 * request an `apt-get update` before the next install.
 */
export function writeAptSource(ctx: Pick<BuildContext, 'root' | 'state'>, fileName: string, text: string): void {
  mkdirSync(inContainerRoot(ctx.root, SOURCES_LIST_D), { recursive: true, mode: 0o755 });
  writeFileSync(inContainerRoot(ctx.root, `${SOURCES_LIST_D}/${fileName}`), text, { mode: 0o644 });
  requestAptUpdate(ctx);
}
