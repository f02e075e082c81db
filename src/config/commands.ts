/**
 * Schemas for `commands:` entries (vagga-inventory.md §1.6): `!Command`, `!Supervise`
 * (children `!Command` / `!BridgeCommand`) and `!CapsuleCommand`.
 */
import type {
  AnyCommandConfig, CapsuleCommandConfig, CommandConfig, CommonCommandFields, ReadyCheck, SuperviseConfig,
} from './model.js';
import { isNull, type QNode } from './qnode.js';
import {
  bool, child, custom, def, enumOf, fail, int, list, map, opt, str, struct, tagged,
  type Out, type ParseCtx, type Schema,
} from './schema.js';
import { workDir } from './container-path.js';
import { idRanges } from './containers.js';
import { volumePositions, volumes } from './volumes.js';

const MAX_ID = 1 << 30;

/** `run`: a string (run through the shell) or a non-empty list of strings (an argv). */
const run: Schema<string | string[]> = custom('a string or a list of strings', (node, ctx) => {
  if (node.kind === 'seq') {
    const argv = list(str()).parse(node, ctx);
    if (argv.length === 0) fail(ctx, node, 'run must contain at least a command to run');
    return argv;
  }
  return str().parse(node, ctx);
});

/** Fields of every command kind, as struct members (kebab-case keys). */
function commonFields(toplevel: boolean) {
  const fields = {
    description: opt(str()),
    banner: opt(str()),
    'banner-delay': opt(int({ min: 0 })),
    epilog: opt(str()),
    aliases: def(list(str()), []),
    group: opt(str()),
    prerequisites: def(list(str()), []),
    'expect-inotify-limit': opt(int({ min: 0 })),
    'symlink-name': opt(str()),
    'pass-tcp-socket': opt(str()),
    tags: def(list(str()), []),
  };
  return toplevel ? { ...fields, options: opt(str()) } : fields;
}

function runFields() {
  return {
    container: str(),
    run,
    'accepts-arguments': opt(bool()),
    environ: def(map(str()), {}),
    'work-dir': opt(workDir()),
    volumes,
    pid1mode: def(enumOf(['wait', 'wait-all-children', 'exec'] as const), 'wait'),
    'write-mode': def(enumOf(['read-only', 'transient-hard-link-copy'] as const), 'read-only'),
    'user-id': def(int({ min: 0, max: MAX_ID }), 0),
    'group-id': def(int({ min: 0, max: MAX_ID }), 0),
    'external-user-id': opt(int({ min: 0, max: MAX_ID })),
    'supplementary-gids': def(list(int({ min: 0, max: MAX_ID })), []),
    'isolate-network': def(bool(), false),
  };
}

const network = struct({
  ip: opt(str()),
  hostname: opt(str()),
  ports: def(map(int({ min: 1, max: 65535 }), (k) => {
    const n = Number(k);
    return Number.isInteger(n) && n >= 1 && n <= 65535 ? undefined : `Port must be a number 1..65535, got ${JSON.stringify(k)}`;
  }), {}),
});

type CommonOut = {
  description?: string; banner?: string; bannerDelay?: number; epilog?: string; aliases: string[];
  group?: string; prerequisites: string[]; options?: string; expectInotifyLimit?: number;
  symlinkName?: string; passTcpSocket?: string; tags: string[]; isolateNetwork: boolean;
};

function common(name: string, v: CommonOut, node: QNode): CommonCommandFields {
  const out: CommonCommandFields = {
    name,
    aliases: v.aliases,
    prerequisites: v.prerequisites,
    isolateNetwork: v.isolateNetwork,
    tags: v.tags,
    pos: node.pos,
  };
  for (const key of ['description', 'banner', 'bannerDelay', 'epilog', 'group', 'options', 'expectInotifyLimit', 'symlinkName', 'passTcpSocket'] as const) {
    if (v[key] !== undefined) (out as unknown as Record<string, unknown>)[key] = v[key];
  }
  return out;
}

type RunOut = CommonOut & {
  container: string; run: string | string[]; acceptsArguments?: boolean; environ: Record<string, string>;
  workDir?: string; volumes: CommandConfig['volumes']; pid1mode: CommandConfig['pid1mode'];
  writeMode: CommandConfig['writeMode']; userId: number; groupId: number; externalUserId?: number;
  supplementaryGids: number[]; network?: { ip?: string; hostname?: string; ports: Record<string, number> };
};

function toCommand(name: string, v: RunOut, node: QNode, bridge: boolean): CommandConfig {
  const out: CommandConfig = {
    ...common(name, v, node),
    kind: 'Command',
    container: v.container,
    run: v.run,
    acceptsArguments: v.acceptsArguments ?? Array.isArray(v.run),
    environ: v.environ,
    volumes: v.volumes,
    pid1mode: v.pid1mode,
    writeMode: v.writeMode,
    userId: v.userId,
    groupId: v.groupId,
    supplementaryGids: v.supplementaryGids,
  };
  if (v.workDir !== undefined) out.workDir = v.workDir;
  if (Object.keys(v.volumes).length > 0) out.volumePositions = volumePositions(node);
  if (v.externalUserId !== undefined) out.externalUserId = v.externalUserId;
  if (v.network !== undefined) {
    const net: NonNullable<CommandConfig['network']> = { ports: v.network.ports };
    if (v.network.ip !== undefined) net.ip = v.network.ip;
    if (v.network.hostname !== undefined) net.hostname = v.network.hostname;
    out.network = net;
  }
  if (bridge) out.bridge = true;
  return out;
}

/** A number of seconds, decimals allowed (`0.5`), within `min`..`max`. */
function seconds(min: number, max: number): Schema<number> {
  return custom('a number of seconds', (node, ctx) => {
    const text = str().parse(node, ctx).trim();
    const n = /^\d+(\.\d+)?$/.test(text) ? Number(text) : NaN;
    if (!(n >= min && n <= max)) fail(ctx, node, `Expected a number of seconds from ${min} to ${max}, got ${JSON.stringify(text)}`);
    return n;
  });
}

/** `ready-when:` (model.ts ReadyCheck): exactly one of `tcp` and `command`, with `interval` and `timeout`. */
const readyWhenFields = struct({
  tcp: opt(int({ min: 1, max: 65535 })),
  command: opt(run),
  interval: opt(seconds(0.01, 3600)),
  timeout: def(seconds(0.1, 3600), 10),
});
type ReadyWhenOut = Out<typeof readyWhenFields>;
const readyWhen: Schema<ReadyWhenOut> = custom('a readiness check', (node, ctx) => {
  const v = readyWhenFields.parse(node, ctx);
  if ((v.tcp === undefined) === (v.command === undefined)) fail(ctx, node, 'ready-when takes exactly one of `tcp: PORT` and `command: CMD`');
  return v;
});

/** The ReadyCheck of a child (default interval: 0.1 s for tcp, 1 s for a command). */
function readyCheck(v: ReadyWhenOut, timeout: number): ReadyCheck {
  const out: ReadyCheck = { interval: v.interval ?? (v.tcp !== undefined ? 0.1 : 1), probeTimeout: v.timeout, timeout };
  if (v.tcp !== undefined) out.tcpPort = v.tcp;
  if (v.command !== undefined) out.command = v.command;
  return out;
}

const topCommand = struct({ ...commonFields(true), ...runFields() });
/** Supervise children only (beyond Vagga): `restart`, `restart-limit`, `restart-delay` (model.ts RestartPolicy). */
function restartFields() {
  return {
    restart: def(enumOf(['never', 'on-failure', 'always'] as const), 'never'),
    'restart-limit': def(int({ min: 1, max: 1000 }), 5),
    'restart-delay': def(int({ min: 0, max: 3600 }), 1),
    // Readiness (beyond Vagga, model.ts ReadyCheck / waitFor).
    'ready-when': opt(readyWhen),
    'ready-timeout': def(int({ min: 1, max: 86400 }), 30),
    'wait-for': def(list(str()), []),
  };
}
const childCommand = struct({ ...commonFields(false), ...runFields(), ...restartFields(), network: opt(network) });
const bridgeCommand = struct({ ...commonFields(false), ...runFields(), ...restartFields() });

type RestartOut = {
  restart: 'never' | 'on-failure' | 'always'; restartLimit: number; restartDelay: number;
  readyWhen?: ReadyWhenOut; readyTimeout: number; waitFor: string[];
};

/** A child command with its restart policy (set unless `restart: never`). */
function toChild(name: string, v: RunOut & RestartOut, node: QNode, bridge: boolean): CommandConfig {
  const out = toCommand(name, v, node, bridge);
  if (v.restart !== 'never') out.restart = { when: v.restart, limit: v.restartLimit, delay: v.restartDelay };
  if (v.readyWhen !== undefined) out.ready = readyCheck(v.readyWhen, v.readyTimeout);
  if (v.waitFor.length > 0) out.waitFor = v.waitFor;
  return out;
}

/** A `!Supervise` child: `!Command` (may have `network`) or `!BridgeCommand`. */
function childSchema(name: string): Schema<CommandConfig> {
  const alternatives: Record<string, Schema<CommandConfig>> = {
    Command: custom('a command', (node, ctx) => toChild(name, childCommand.parse(node, ctx) as RunOut & RestartOut, node, false)),
    BridgeCommand: custom('a command', (node, ctx) => toChild(name, bridgeCommand.parse(node, ctx) as RunOut & RestartOut, node, true)),
  };
  const t = tagged(alternatives, 'child command');
  return custom('a child command', (node, ctx) => t.parse(node, ctx).value);
}

const superviseFields = struct({
  ...commonFields(true),
  'isolate-network': def(bool(), false),
  mode: def(enumOf(['stop-on-failure', 'wait-all-successful'] as const), 'stop-on-failure'),
  'kill-unresponsive-after': def(int({ min: 1, max: 86400 }), 2),
  // Parsed separately (each child needs its name), see children().
  children: { describe: 'a mapping of child commands', optional: true, parse: () => null },
});

const capsuleFields = struct({
  ...commonFields(true),
  'isolate-network': def(bool(), false),
  run,
  'work-dir': opt(workDir()),
  environ: def(map(str()), {}),
  'accepts-arguments': opt(bool()),
  uids: idRanges,
  gids: idRanges,
});

/** Parse the children mapping of a `!Supervise` (each child named by its key). */
function children(node: QNode | undefined, ctx: ParseCtx): Record<string, CommandConfig> {
  const out: Record<string, CommandConfig> = {};
  if (node === undefined || isNull(node)) return out;
  if (node.kind !== 'map' || node.tag !== undefined) fail(ctx, node, 'Expected a mapping of child commands');
  for (const e of node.entries) {
    out[e.key] = childSchema(e.key).parse(e.value, child(ctx, node, `.${e.key}`));
  }
  checkWaitFor(out, node, ctx);
  return out;
}

/**
 * `wait-for` (beyond Vagga) names sibling children only, never the child itself, and has no
 * cycle (which would never start). Fails with a config error at the children mapping.
 */
function checkWaitFor(children: Record<string, CommandConfig>, node: QNode, ctx: ParseCtx): void {
  for (const [name, c] of Object.entries(children)) {
    for (const dep of c.waitFor ?? []) {
      if (!(dep in children)) fail(ctx, node, `Child ${JSON.stringify(name)} waits for ${JSON.stringify(dep)}, which is not a child of this command`);
      if (dep === name) fail(ctx, node, `Child ${JSON.stringify(name)} waits for itself`);
    }
  }
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (name: string, path: string[]): void => {
    if (state.get(name) === 'done') return;
    if (state.get(name) === 'visiting') fail(ctx, node, `\`wait-for\` cycle: ${[...path, name].join(' -> ')}`);
    state.set(name, 'visiting');
    for (const dep of children[name].waitFor ?? []) visit(dep, [...path, name]);
    state.set(name, 'done');
  };
  for (const name of Object.keys(children)) visit(name, []);
}

/** A command under `commands:`; `name` is its key. */
export function commandSchema(name: string): Schema<AnyCommandConfig> {
  const alternatives: Record<string, Schema<AnyCommandConfig>> = {
    Command: custom('a command', (node, ctx) => toCommand(name, topCommand.parse(node, ctx) as RunOut, node, false)),
    Supervise: custom('a supervise command', (node, ctx) => {
      const v = superviseFields.parse(node, ctx);
      const childrenNode = node.kind === 'map' ? node.entries.find((e) => e.key === 'children')?.value : undefined;
      const out: SuperviseConfig = {
        ...common(name, v, node),
        kind: 'Supervise',
        mode: v.mode,
        killUnresponsiveAfter: v.killUnresponsiveAfter,
        children: children(childrenNode, child(ctx, node, '.children')),
      };
      return out;
    }),
    CapsuleCommand: custom('a capsule command', (node, ctx) => {
      const v = capsuleFields.parse(node, ctx);
      const out: CapsuleCommandConfig = {
        ...common(name, v, node),
        kind: 'CapsuleCommand',
        run: v.run,
        environ: v.environ,
        acceptsArguments: v.acceptsArguments ?? Array.isArray(v.run),
        uids: v.uids,
        gids: v.gids,
      };
      if (v.workDir !== undefined) out.workDir = v.workDir;
      return out;
    }),
  };
  const t = tagged(alternatives, 'command');
  return custom('a command', (node, ctx) => t.parse(node, ctx).value);
}
