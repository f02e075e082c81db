/**
 * The distribution npm steps start when none is active. Vagga bootstraps Alpine v3.15 for
 * `!NpmInstall`/`!NpmDependencies` without a distribution step (vagga-inventory.md §1.4); we
 * start Debian instead (deviation: Alpine's mirror is not generally reachable, Debian's is
 * the one vagga already requires), using the host's own suite when the host is Debian
 * (os-release `VERSION_CODENAME`, e.g. `bookworm`), else `stable`. The base is made and
 * unpacked by the `!Debian` step's code (src/steps/debian.ts), so it is the same cached
 * bootstrap an explicit `- !Debian bookworm` uses. The version hash is Vagga's (the implicit
 * distribution is not hashed).
 */
import { readFileSync } from 'node:fs';
import type { StepConfig } from '../../config/model.js';
import { VaggaError } from '../../errors/vagga-error.js';
import { debianStep } from '../debian.js';
import { currentDistro, type DistroState } from '../debian/distro.js';
import { osReleaseId } from '../debian/mirror.js';
import { unexpectedRootEntry } from '../debian/unpack.js';
import type { BuildContext, PrepareContext } from '../step.js';

/** Steps that start a distribution, or may bring one along from another container. */
const DISTRO_BRINGING_TAGS = new Set(['Debian', 'Ubuntu', 'UbuntuRelease', 'Alpine', 'Container', 'SubConfig']);

/** The Debian suite to start: the host's codename on a Debian host, else `stable` (pure). */
export function implicitDebianSuite(osRelease: string | undefined): string {
  if (osRelease !== undefined && osReleaseId(osRelease) === 'debian') {
    const m = /^VERSION_CODENAME=["']?([a-z][a-z0-9.+-]*)["']?\s*$/m.exec(osRelease);
    if (m) return m[1]!;
  }
  return 'stable';
}

/** The implicit suite for this host (reads /etc/os-release; the builder sees the host's /etc). */
export function hostImplicitSuite(): string {
  let text: string | undefined;
  try {
    text = readFileSync('/etc/os-release', 'utf8');
  } catch {
    text = undefined;
  }
  return implicitDebianSuite(text);
}

/**
 * Whether an npm step preceded by `preceding` may need the implicit distribution (pure):
 * true unless an earlier step starts one (or may inherit one: `!Container`, `!SubConfig`).
 */
export function mayNeedImplicitDistro(preceding: readonly Pick<StepConfig, 'tag'>[]): boolean {
  return !preceding.some((s) => DISTRO_BRINGING_TAGS.has(s.tag));
}

/**
 * Host side: make sure the implicit Debian base is in the cache when this step may need it.
 * Without `precedingSteps` in the context the base is prepared anyway (it is cached).
 */
export async function prepareImplicitDistro(ctx: PrepareContext): Promise<void> {
  const preceding = ctx.precedingSteps;
  if (preceding !== undefined && !mayNeedImplicitDistro(preceding)) return;
  await debianStep.prepare!({ suite: hostImplicitSuite() }, ctx);
}

/**
 * Builder side: the active distribution, starting the implicit Debian one when none is.
 * Throws VaggaError (121) when files were already put into the root (the distribution must
 * come first), or when the base is missing from the cache.
 */
export async function ensureNpmDistro(ctx: BuildContext, what: string): Promise<DistroState> {
  const active = currentDistro(ctx);
  if (active !== undefined) return active;
  const suite = hostImplicitSuite();
  const extra = unexpectedRootEntry(ctx.root);
  if (extra !== undefined) {
    throw new VaggaError(`${what} needs a distribution, none is active, and "/${extra}" already exists in the container`, {
      code: 'build.not-first-step',
      hint: `Start the container with a distribution step, e.g. \`- !Debian ${suite}\`, before other steps.`,
    });
  }
  // A warning, not status: the container differs from what Vagga would build.
  ctx.log.warn(`${what}: no distribution is active; starting Debian ${suite} (Vagga would use Alpine v3.15 here)`);
  await debianStep.build!({ suite }, ctx);
  return currentDistro(ctx)!;
}
