/**
 * Ubuntu containers, planned as data (pure functions, unit-tested): which mirror, which
 * codename, the mmdebstrap(1) command line that bootstraps the root, and the apt sources and
 * configuration written into it. Vagga downloaded Canonical's core cloud images
 * (vagga-inventory.md §1.4 `!UbuntuRelease`); this port bootstraps a `minbase` root with
 * mmdebstrap from the `ubuntu-mirror` setting instead, keeping Vagga's container
 * setup (§2.6 "Ubuntu specifics"): sources.list = `deb <mirror> <codename>{,-updates,-security}
 * main restricted`, policy-rc.d, dpkg unsafe-io, no recommends, chfn -> /bin/true.
 */
import { VaggaError } from '../../errors/vagga-error.js';
import { debianConfigFiles, type RootFile } from '../debian/apt.js';
import { normalizeMirror } from '../debian/mirror.js';
import { repoLine, ubuntuSuites } from '../debian/repos.js';

/** Ubuntu release numbers (YY.MM, `!UbuntuRelease {version}`) and their codenames. */
export const UBUNTU_CODENAMES: Readonly<Record<string, string>> = {
  '12.04': 'precise', '12.10': 'quantal', '13.04': 'raring', '13.10': 'saucy',
  '14.04': 'trusty', '14.10': 'utopic', '15.04': 'vivid', '15.10': 'wily',
  '16.04': 'xenial', '16.10': 'yakkety', '17.04': 'zesty', '17.10': 'artful',
  '18.04': 'bionic', '18.10': 'cosmic', '19.04': 'disco', '19.10': 'eoan',
  '20.04': 'focal', '20.10': 'groovy', '21.04': 'hirsute', '21.10': 'impish',
  '22.04': 'jammy', '22.10': 'kinetic', '23.04': 'lunar', '23.10': 'mantic',
  '24.04': 'noble', '24.10': 'oracular', '25.04': 'plucky',
};

/** `!UbuntuRelease` parameters (the schema's output). `!Ubuntu X` is `{codename: X}`. */
export interface UbuntuReleaseParams {
  codename?: string;
  version?: string;
  url?: string;
  arch: string;
  keepChfnCommand: boolean;
  eatmydata: boolean;
}

/** Where the root comes from: an mmdebstrap bootstrap of a codename, or a root tarball URL. */
export type UbuntuSource = { kind: 'bootstrap'; codename: string } | { kind: 'tarball'; url: string; codename?: string };

/**
 * The source of an `!UbuntuRelease` root: `url` (a root filesystem tarball) wins, else
 * `codename`, else `version` looked up in UBUNTU_CODENAMES (`14.04`, also `14.04.5`).
 * Throws VaggaError (121) when none is given or the version is unknown.
 */
export function ubuntuSource(p: Pick<UbuntuReleaseParams, 'codename' | 'version' | 'url'>): UbuntuSource {
  if (p.url !== undefined) return { kind: 'tarball', url: p.url, codename: p.codename };
  if (p.codename !== undefined) return { kind: 'bootstrap', codename: p.codename };
  if (p.version !== undefined) {
    const short = /^\d+\.\d+/.exec(p.version)?.[0];
    const codename = short !== undefined ? UBUNTU_CODENAMES[short] : undefined;
    if (codename === undefined) {
      throw new VaggaError(`Unknown Ubuntu version ${JSON.stringify(p.version)} in !UbuntuRelease`, {
        code: 'build.bad-step-option',
        hint: 'Use `codename:` instead, e.g. `!UbuntuRelease {codename: jammy}`.',
      });
    }
    return { kind: 'bootstrap', codename };
  }
  throw new VaggaError('!UbuntuRelease needs one of `codename`, `version` or `url`', {
    code: 'build.bad-step-option',
    hint: 'For example `!UbuntuRelease {codename: jammy}` or `!Ubuntu jammy`.',
  });
}

const MIRROR_HINT =
  'Ubuntu containers are bootstrapped from the mirror in the `ubuntu-mirror` setting. Set it in\n' +
  '~/.config/vagga/settings.yaml (or in .vagga.settings.yaml of the project, or VAGGA_SETTINGS), e.g.:\n' +
  '    ubuntu-mirror: http://.../ubuntu/';

/**
 * The Ubuntu archive mirror (normalized, no trailing slash) from the `ubuntu-mirror` setting.
 * Throws VaggaError (121) naming the setting when it is unset or not an http://, https:// or
 * file:// URL (this port has no built-in default mirror).
 */
export function resolveUbuntuMirror(setting: string | undefined): string {
  if (setting === undefined || setting.trim() === '') {
    throw new VaggaError('No Ubuntu mirror configured: the `ubuntu-mirror` setting is not set', { code: 'build.no-mirror', hint: MIRROR_HINT });
  }
  const mirror = normalizeMirror(setting);
  if (!/^(https?|file):\/\//.test(mirror)) {
    throw new VaggaError(`The \`ubuntu-mirror\` setting must be an http://, https:// or file:// URL, got ${JSON.stringify(setting)}`, {
      code: 'build.bad-mirror',
      hint: MIRROR_HINT,
    });
  }
  return mirror;
}

/** Host files holding Ubuntu's archive signing keys, in the order they are tried. */
export const UBUNTU_KEYRING_CANDIDATES: readonly string[] = [
  '/usr/share/keyrings/ubuntu-archive-keyring.gpg',
  '/etc/apt/trusted.gpg.d/ubuntu-keyring-2018-archive.gpg',
  '/etc/apt/trusted.gpg.d/ubuntu-keyring-2012-archive.gpg',
];

/**
 * The host keyring mmdebstrap verifies the Ubuntu archive with: the first existing
 * UBUNTU_KEYRING_CANDIDATES entry. Debian 12 has no `ubuntu-keyring` package (later Debian
 * releases and Ubuntu hosts have one), so when none exists this throws VaggaError (121)
 * telling where to put the key file. `exists` is injectable for tests.
 */
export function findUbuntuKeyring(exists: (path: string) => boolean, candidates = UBUNTU_KEYRING_CANDIDATES): string {
  const found = candidates.find(exists);
  if (found !== undefined) return found;
  throw new VaggaError("Ubuntu's archive signing keys were not found on this host", {
    code: 'env.missing-keyring',
    hint:
      `mmdebstrap needs them to verify the \`ubuntu-mirror\`. Looked for: ${candidates.join(', ')}.\n` +
      'Install the `ubuntu-keyring` package (Ubuntu, Debian 13 and later), or copy ubuntu-archive-keyring.gpg ' +
      `from it to ${candidates[0]}.`,
  });
}

/** mmdebstrap variant used for Ubuntu roots (Essential packages plus apt, like Canonical's core images). */
export const UBUNTU_VARIANT = 'minbase';

/** Components of the base archive (Vagga's sources.list). */
export const UBUNTU_COMPONENTS: readonly string[] = ['main', 'restricted'];

export interface UbuntuBootstrapInput {
  codename: string;
  /** Debian-style architecture (`amd64`, `i386`, `arm64`). */
  arch: string;
  mirror: string;
  /** Host keyring file (findUbuntuKeyring). */
  keyring: string;
  /** Output tarball path (`.tar`). */
  output: string;
  /** Real root: mmdebstrap's root mode; anyone else: unshare mode. */
  asRoot: boolean;
  /** Extra packages for the base (e.g. `eatmydata`). */
  include?: readonly string[];
}

/**
 * argv (without the program) for mmdebstrap: `--mode=… --variant=minbase --format=tar
 * --architectures=ARCH --components=main,restricted --keyring=FILE [--include=…] CODENAME
 * OUTPUT MIRROR`. ca-certificates is included for an https mirror. Stdin must be /dev/null.
 */
export function planUbuntuBootstrap(input: UbuntuBootstrapInput): string[] {
  const include = [...(input.include ?? [])];
  if (input.mirror.startsWith('https://') && !include.includes('ca-certificates')) include.push('ca-certificates');
  const argv = [
    `--mode=${input.asRoot ? 'root' : 'unshare'}`,
    `--variant=${UBUNTU_VARIANT}`,
    '--format=tar',
    `--architectures=${input.arch}`,
    `--components=${UBUNTU_COMPONENTS.join(',')}`,
    `--keyring=${input.keyring}`,
  ];
  if (include.length > 0) argv.push(`--include=${include.join(',')}`);
  argv.push(input.codename, input.output, input.mirror);
  return argv;
}

/** Content of the container's /etc/apt/sources.list: `deb MIRROR S main restricted` for S in codename, -updates, -security. */
export function ubuntuSourcesListText(mirror: string, codename: string): string {
  const lines = ubuntuSuites(codename).map((s) => repoLine({ url: mirror, suite: s, components: UBUNTU_COMPONENTS }));
  return `# Written by vagga's !Ubuntu step\n${lines.join('\n')}\n`;
}

/** Files written into an Ubuntu root: Debian's apt/dpkg settings with Ubuntu's sources.list. */
export function ubuntuConfigFiles(mirror: string, codename: string): RootFile[] {
  return debianConfigFiles(mirror, codename).map((f) =>
    f.path === 'etc/apt/sources.list' ? { ...f, content: ubuntuSourcesListText(mirror, codename) } : f,
  );
}

/** Files of the base that the files above replace (deb822 sources of newer releases). */
export const UBUNTU_REPLACED_SOURCE_FILES: readonly string[] = ['etc/apt/sources.list.d/ubuntu.sources'];

/** Cache file name of a bootstrapped Ubuntu base: `<codename>-<arch>-<8hex mirror key>-minbase.tar`. */
export function ubuntuTarballName(codename: string, arch: string, mirrorKey: string): string {
  return `${codename}-${arch}-${mirrorKey}-${UBUNTU_VARIANT}.tar`;
}

/** Codename in an os-release or lsb-release text (`VERSION_CODENAME=` / `UBUNTU_CODENAME=` / `DISTRIB_CODENAME=`). */
export function codenameFromRelease(text: string): string | undefined {
  for (const key of ['VERSION_CODENAME', 'UBUNTU_CODENAME', 'DISTRIB_CODENAME']) {
    const m = new RegExp(`^${key}=(.*)$`, 'm').exec(text);
    const v = m?.[1]?.trim().replace(/^["']|["']$/g, '');
    if (v) return v;
  }
  return undefined;
}
