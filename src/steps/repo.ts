/**
 * `!Repo NAME` (vagga-inventory.md §1.4): add an official repository of the active
 * distribution. On Debian and Ubuntu NAME is `component` (of the active suite; on Ubuntu
 * also its -updates and -security suites, like `!UbuntuUniverse`) or `suite/component`
 * (e.g. `bookworm-updates/main`, `trusty-updates/universe`), written to
 * `/etc/apt/sources.list.d/vagga-repo-<suite>-<component>.list` on the distribution's
 * mirror; on Alpine NAME is `repo` or `branch/repo`, appended to `/etc/apk/repositories`.
 * Version hash: field `name`.
 */
import { str } from '../config/schema.js';
import { VaggaError } from '../errors/vagga-error.js';
import type { StepDef } from './step.js';
import { requireDistro } from './debian/distro.js';
import { aptDistro, parseAptRepoName, repoLine, repoStepFileName, ubuntuSuites, writeAptSource } from './debian/repos.js';
import { APT_DISTROS } from './distro-specific.js';
import { parseAlpineRepoName } from './alpine/plan.js';
import { addAlpineRepo } from './alpine/steps.js';

/**
 * The list file (name and text) for `!Repo NAME` on an apt distribution `distroName` with
 * `codename` and `mirror`. Pure.
 */
export function aptRepoSource(name: string, distroName: string, codename: string, mirror: string): { file: string; text: string } {
  const { suite, component } = parseAptRepoName(name, codename);
  const suites = distroName === 'ubuntu' && !name.includes('/') ? ubuntuSuites(codename) : [suite];
  const text = suites.map((s) => `${repoLine({ url: mirror, suite: s, components: [component] })}\n`).join('');
  return { file: repoStepFileName(suite, component), text };
}

const repo: StepDef<string> = {
  tag: 'Repo',
  projectFree: () => true,
  schema: str(),
  hash: (v, d) => d.field('name', v),
  async build(name, ctx) {
    const distro = requireDistro(ctx);
    if (APT_DISTROS.includes(distro.name)) {
      const { codename, mirror } = aptDistro(distro, 'Repo');
      const src = aptRepoSource(name, distro.name, codename, mirror);
      writeAptSource(ctx, src.file, src.text);
      return;
    }
    if (distro.name === 'alpine') {
      addAlpineRepo(ctx, distro, parseAlpineRepoName(name));
      return;
    }
    throw new VaggaError(`!Repo is not supported on the "${distro.name}" distribution`, { code: 'build.unsupported-distro' });
  },
};

/** Step definitions of this module, for src/steps/registry.ts. */
export const steps: StepDef<any>[] = [repo];
