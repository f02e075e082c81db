/**
 * Refusing to start a command whose mount points are missing from the read-only container
 * root, with a message that names the volume, where it is declared and the fix, instead of
 * bwrap's `Can't mkdir /mnt: Read-only file system` (inventory §2.7: the root is read-only
 * at run time; volumes need their mount point created by the setup, usually `!EnsureDir`).
 * A data container (`data-dirs`, §1.3) lost /proc, /dev, /work... at build time: Vagga only
 * warns before failing obscurely; here it is one clear error.
 */
import { statSync } from 'node:fs';
import { posix } from 'node:path';
import type { ContainerConfig, Volume } from '../config/model.js';
import type { Pos } from '../config/qnode.js';
import { VaggaError } from '../errors/vagga-error.js';
import { locate } from '../mounts/host-view.js';
import { missingBindSources, missingMountPoints, type MissingBindSource, type MissingMountPoint } from '../mounts/mount-points.js';
import type { MountPlan } from '../mounts/types.js';

/** What the messages can name. */
export interface MountOrigins {
  container: ContainerConfig;
  /** Name of the `!Command` whose volumes are in `commandVolumes`, if any. */
  commandName?: string;
  commandVolumes: Record<string, Volume>;
  commandVolumePositions?: Record<string, Pos>;
}

/** Mount points every run sandbox has (run-plan.ts), and why. */
const SYSTEM_MOUNTS: Record<string, string> = {
  '/proc': 'the process file system',
  '/dev': 'the device nodes',
  '/work': 'the project directory',
  '/tmp': 'the temporary directory',
  '/run': 'the runtime directory',
};

const where = (p: Pos | undefined) => (p ? `${p.file}:${p.line}:${p.col}` : undefined);

function findVolume(dest: string, volumes: Record<string, Volume>, positions: Record<string, Pos> | undefined): { volume: Volume; pos?: Pos } | undefined {
  for (const [key, volume] of Object.entries(volumes)) {
    if (posix.normalize(key) === dest) return { volume, pos: positions?.[key] };
  }
  return undefined;
}

/** One sentence about one missing mount point, and the fix for it. */
function describe(m: MissingMountPoint, plan: MountPlan, o: MountOrigins): { what: string; fix: string } {
  const dest = m.op.dest;
  const cname = JSON.stringify(o.container.name);
  const gone = m.missing === dest ? `${dest} does not exist in the container` : `${m.missing} does not exist in the container (on the way to ${dest})`;
  const parent = locate(plan.slice(0, plan.indexOf(m.op)), m.missing);
  const underVolume = parent?.kind === 'host' && parent.op.dest !== '/' ? parent.op : undefined;
  const isFile = m.op.kind === 'file' || (m.op.kind === 'bind' && statSync(m.op.source, { throwIfNoEntry: false })?.isFile());
  const step = isFile ? `- !Text { ${dest}: "" }` : `- !EnsureDir ${dest}`;
  const fix = underVolume
    ? `create ${posix.relative(underVolume.dest, dest)} in ${underVolume.source} (mounted read-only at ${underVolume.dest})`
    : `add \`${step}\` to the setup of container ${cname} (it is rebuilt automatically)`;
  const cmdVol = findVolume(dest, o.commandVolumes, o.commandVolumePositions);
  const contVol = cmdVol ? undefined : findVolume(dest, o.container.volumes, o.container.volumePositions);
  const vol = cmdVol ?? contVol;
  if (vol) {
    const owner = cmdVol ? `command ${JSON.stringify(o.commandName ?? '?')}` : `container ${cname}`;
    const at = where(vol.pos);
    return { what: `Volume ${dest} (!${vol.volume.kind} of ${owner}${at ? `, declared at ${at}` : ''}) cannot be mounted: ${gone}`, fix };
  }
  const role = SYSTEM_MOUNTS[dest]
    ?? (dest === o.container.resolvConfPath ? '`resolv-conf-path`' : dest === o.container.hostsFilePath ? '`hosts-file-path`' : 'a mount');
  return { what: `${dest} (${role}) cannot be mounted: ${gone}`, fix };
}

/** The volume (kind, owner, file:line) mounted at `dest`, in words, or undefined when none is. */
function volumeWords(dest: string, o: MountOrigins): string | undefined {
  const cmdVol = findVolume(dest, o.commandVolumes, o.commandVolumePositions);
  const vol = cmdVol ?? findVolume(dest, o.container.volumes, o.container.volumePositions);
  if (!vol) return undefined;
  const owner = cmdVol ? `command ${JSON.stringify(o.commandName ?? '?')}` : `container ${JSON.stringify(o.container.name)}`;
  const at = where(vol.pos);
  return `Volume ${dest} (!${vol.volume.kind}${'path' in vol.volume ? ` ${vol.volume.path}` : ''} of ${owner}${at ? `, declared at ${at}` : ''})`;
}

/**
 * Throw VaggaError (124), one paragraph, when `!BindRW`/`!BindRO` volumes of `plan` have a
 * missing host source (mount-points.ts missingBindSources): names the volume (kind, path, owner, file:line) and
 * the host path, instead of bwrap's `Can't find source path` printed after a half set-up.
 */
export function checkBindSources(plan: MountPlan, origins: MountOrigins, exists?: (path: string) => boolean): void {
  // Only the user's `!BindRW`/`!BindRO` volumes: the other binds are vagga's own.
  const missing: MissingBindSource[] = missingBindSources(plan, exists).filter((op) => {
    const vol = findVolume(op.dest, origins.commandVolumes, origins.commandVolumePositions)
      ?? findVolume(op.dest, origins.container.volumes, origins.container.volumePositions);
    return vol?.volume.kind === 'BindRW' || vol?.volume.kind === 'BindRO';
  });
  if (missing.length === 0) return;
  const lines = missing.map((op) => `${volumeWords(op.dest, origins)} cannot be mounted: its source ${op.source} does not exist on the host.`);
  throw new VaggaError(lines.join('\n'), {
    code: 'sandbox.mount-source-missing',
    hint: [...new Set(missing.map((op) => `To fix: create ${op.source} (e.g. \`mkdir -p ${op.source}\`), or change the volume's path.`))].join('\n'),
  });
}

/**
 * Throw VaggaError (124) when `plan` has mount points that bwrap would have to create on
 * a read-only mount (mount-points.ts). The message is one paragraph per problem: the volume
 * (kind, owner, file:line), what is missing, that the root is read-only; the hint gives
 * the fix (`!EnsureDir <path>` in the container's setup). A data container gets its own
 * message. Binds with a missing host source are reported first (checkBindSources).
 * Returns normally when every source and mount point exists or can be created.
 */
export function checkMountPoints(plan: MountPlan, origins: MountOrigins): void {
  checkBindSources(plan, origins);
  const missing = missingMountPoints(plan);
  if (missing.length === 0) return;
  const c = origins.container;
  if (c.dataDirs.length > 0) {
    throw new VaggaError(
      `Container ${JSON.stringify(c.name)} is a data container (data-dirs: ${c.dataDirs.join(', ')}): its build kept only ` +
        `those directories, so its root has no ${[...new Set(missing.map((m) => m.missing))].join(', ')} and commands cannot run in it.`,
      {
        code: 'sandbox.data-container',
        hint: `Use its files from another container (e.g. \`!Build { container: ${c.name}, source: ${c.dataDirs[0]}, path: ${c.dataDirs[0]} }\` ` +
          `in that container's setup), or remove \`data-dirs\` from container ${JSON.stringify(c.name)} to run commands in it.`,
      },
    );
  }
  const parts = missing.map((m) => describe(m, plan, origins));
  throw new VaggaError(
    parts.map((p) => `${p.what}.`).join('\n') + "\nThe container's root file system is read-only when commands run, so mount points must exist in the built container.",
    { code: 'sandbox.mount-point-missing', hint: [...new Set(parts.map((p) => `To fix: ${p.fix}.`))].join('\n') },
  );
}
