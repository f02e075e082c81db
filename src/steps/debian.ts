/**
 * `!Debian SUITE` — our addition to Vagga's steps (Vagga has `!Ubuntu`/`!Alpine`, no Debian
 * step; vagga-inventory.md §1.11): start the container from a Debian `minbase` root for the
 * suite (e.g. `bookworm`), made by mmdebstrap and cached per suite and mirror
 * (src/steps/debian/bootstrap.ts), and set up apt like Vagga's Ubuntu steps (§2.6),
 * `/usr/bin/chfn` -> `/bin/true` included (Ubuntu's default; chfn fails in a user namespace).
 *
 * Version hash: field `suite` only. The mirror is deliberately not hashed, like Vagga's
 * `ubuntu-mirror`/`alpine-mirror` settings (§2.1 "Not hashed"): the same suite from another
 * mirror is the same container.
 */
import { custom, fail, str, type Out } from '../config/schema.js';
import type { BuildContext, StepDef } from './step.js';
import { REPLACED_SOURCE_FILES, debianConfigFiles } from './debian/apt.js';
import { enableDebianContext } from './debian/apt-run.js';
import { bootstrapTarballPath, ensureBootstrapTarball } from './debian/bootstrap.js';
import { activateDistro, type DistroState } from './debian/distro.js';
import { readHostAptSources, resolveDebianMirror } from './debian/mirror.js';
import { replaceChfn, unpackBase, writeRootConfig } from './debian/unpack.js';
import { requireDebianIdMap } from './debian/userns.js';

const debianSchema = custom('a Debian suite name', (node, ctx) => {
  const suite = str().parse(node, ctx);
  if (!/^[a-z][a-z0-9.+-]*$/.test(suite)) fail(ctx, node, `Expected a Debian suite name such as "bookworm", got ${JSON.stringify(suite)}`);
  return { suite };
});

/** Parameters of `!Debian`: the suite (codename or alias such as `stable`). */
export type DebianParams = Out<typeof debianSchema>;

/** The mirror for this build: `debian-mirror` setting, else the host's apt sources. */
function mirrorFor(settings: { debianMirror?: string }): string {
  return resolveDebianMirror(settings.debianMirror, readHostAptSources());
}

/** Make Debian `suite` (from this build's mirror) the active distribution and return it. */
function activateDebian(params: DebianParams, ctx: BuildContext): Required<DistroState> {
  const distro = { name: 'debian', suite: params.suite, mirror: mirrorFor(ctx.settings) };
  activateDistro(ctx, distro);
  return distro;
}

/** `!Debian SUITE` (see file comment). */
export const debianStep: StepDef<DebianParams> = {
  tag: 'Debian',
  hashReadsOnlyParams: true,
  projectFree: () => true,
  schema: debianSchema,
  hash(params, digest) {
    digest.field('suite', params.suite);
  },
  async prepare(params, ctx) {
    await ensureBootstrapTarball({
      suite: params.suite,
      mirror: mirrorFor(ctx.settings),
      cacheDir: ctx.cacheDir,
      log: ctx.log,
      signal: ctx.signal,
    });
  },
  async build(params, ctx: BuildContext) {
    const distro = activateDebian(params, ctx);
    requireDebianIdMap();
    const tarball = bootstrapTarballPath(ctx.cacheDir, distro.suite, distro.mirror);
    const started = Date.now();
    await unpackBase(tarball, ctx.root, 'Debian', '!Debian');
    writeRootConfig(ctx.root, debianConfigFiles(distro.mirror, distro.suite), REPLACED_SOURCE_FILES);
    // Like Vagga's Ubuntu (no `keep-chfn-command` here): package scripts calling chfn work.
    replaceChfn(ctx.root);
    enableDebianContext(ctx, distro);
    ctx.log.debug(`Debian ${distro.suite} base unpacked in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  },
  replay(params, ctx) {
    enableDebianContext(ctx, activateDebian(params, ctx));
  },
};

/** Step definitions of this module, for src/steps/registry.ts. */
export const steps: StepDef<any>[] = [debianStep];
