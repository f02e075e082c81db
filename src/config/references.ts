/**
 * Cross-references checked once all files are combined (vagga-inventory.md §1.2 "Validation
 * at load time"): containers named by setup steps (`!Container`, `!Build`, `!SubConfig`)
 * must exist and must not form a cycle; commands name existing containers.
 */
import { ConfigError, VaggaError } from '../errors/vagga-error.js';
import type { StepSchemas } from './containers.js';
import { walkDependencies } from './dependency-walk.js';
import type { AnyCommandConfig, CommandConfig, Config, ContainerConfig } from './model.js';
import { didYouMean } from '../errors/did-you-mean.js';

/**
 * Containers a container's setup steps need built first (each step type's `dependsOn` in
 * `steps`), in step order, with each step's position.
 */
export function containerDependencies(container: ContainerConfig, steps: StepSchemas): Array<{ name: string; step: ContainerConfig['setup'][number] }> {
  const out: Array<{ name: string; step: ContainerConfig['setup'][number] }> = [];
  for (const step of container.setup) {
    const names = steps.get(step.tag)?.dependsOn?.(step.params) ?? [];
    for (const name of names) out.push({ name, step });
  }
  return out;
}

/** One `!Container`-like reference: container `from` needs `to`, written at `step`. */
interface Edge {
  from: string;
  to: string;
  step: ContainerConfig['setup'][number];
}

/**
 * Containers whose setup steps depend on each other in a loop (exit 126). `cycles` holds
 * each loop once, as the chain of references; the message reports every one, each as
 * `<file>:<line>:<col>: !Container a in container "b" closes a cycle (a -> b -> a)` followed
 * by Vagga's line `Container "a" has cyclic dependency`. focus() narrows it to one container.
 */
export class CyclicDependencyError extends VaggaError {
  readonly cycles: readonly (readonly Edge[])[];
  /** Every container's direct dependencies (container name -> names). */
  readonly graph: Readonly<Record<string, readonly string[]>>;
  constructor(cycles: readonly (readonly Edge[])[], graph: Readonly<Record<string, readonly string[]>>) {
    super(cycles.map(cycleText).join('\n'), { code: 'config.container-cycle' });
    this.name = 'CyclicDependencyError';
    this.cycles = cycles;
    this.graph = graph;
  }

  /**
   * The error as seen from container `name` (what `_build NAME` asked about): the loop that
   * contains it, rotated to start and end at `name` (so the last line is `Container "NAME"
   * has cyclic dependency`), else the first loop `name` depends on; `this` when none.
   */
  focus(name: string): CyclicDependencyError {
    const own = this.cycles.find((c) => c.some((e) => e.to === name));
    if (own) {
      const i = own.findIndex((e) => e.to === name);
      return new CyclicDependencyError([[...own.slice(i + 1), ...own.slice(0, i + 1)]], this.graph);
    }
    const seen = new Set<string>();
    const queue = [name];
    while (queue.length > 0) {
      const cur = queue.shift()!;
      if (seen.has(cur)) continue;
      seen.add(cur);
      const hit = this.cycles.find((c) => c.some((e) => e.from === cur));
      if (hit) return new CyclicDependencyError([hit], this.graph);
      queue.push(...(this.graph[cur] ?? []));
    }
    return this;
  }
}

/** `pos: !Tag x in container "y" closes a cycle (x -> ... -> x)` + `Container "x" has cyclic dependency`. */
function cycleText(cycle: readonly Edge[]): string {
  const last = cycle[cycle.length - 1]!;
  const p = last.step.pos;
  const loop = [cycle[0]!.from, ...cycle.map((e) => e.to)].join(' -> ');
  return `${p.file}:${p.line}:${p.col}: !${last.step.tag} ${last.to} in container ${JSON.stringify(last.from)} closes a cycle (${loop})\n` +
    `Container ${JSON.stringify(last.to)} has cyclic dependency`;
}

/**
 * Check container references (which steps reference containers: `steps`). Throws ConfigError `Container "x" referenced from "y" is not
 * found` (at the step), or CyclicDependencyError (126) listing every loop, each ending with
 * Vagga's exact line `Container "x" has cyclic dependency`.
 */
export function checkContainerReferences(containers: Record<string, ContainerConfig>, steps: StepSchemas): void {
  const seen = new Set<string>();
  const cycles: Edge[][] = [];
  const dependencies = (name: string) => containerDependencies(containers[name]!, steps);
  for (const name of Object.keys(containers)) {
    walkDependencies(name, dependencies, {
      enter: (to, via) => {
        if (via && !(to in containers)) {
          throw new ConfigError('config.container-not-found', `Container ${JSON.stringify(to)} referenced from ${JSON.stringify(via.from)} is not found`,
            via.edge.step.pos, `.containers.${via.from}.setup`, didYouMean(to, Object.keys(containers), (n) => JSON.stringify(n)));
        }
        return true;
      },
      leave: () => {},
      cycle: (loop) => { cycles.push(loop.map(({ from, edge }) => ({ from, to: edge.name, step: edge.step }))); },
    }, seen);
  }
  if (cycles.length > 0) {
    const graph = Object.fromEntries(Object.entries(containers).map(([n, c]) => [n, containerDependencies(c, steps).map((d) => d.name)]));
    throw new CyclicDependencyError(cycles, graph);
  }
}

/**
 * `error` as it concerns container `name`: a CyclicDependencyError is narrowed to the loop
 * of (or reached from) `name` (CyclicDependencyError.focus); anything else is returned as is.
 * For the built-ins that name a container (`_build`, `_run`, `_version_hash`).
 */
export function focusOnContainer(error: unknown, name: string): unknown {
  return error instanceof CyclicDependencyError ? error.focus(name) : error;
}

/** Every `container:` a command runs in (a `!Supervise` lists its children's). */
function commandContainers(cmd: AnyCommandConfig): CommandConfig[] {
  if (cmd.kind === 'Command') return [cmd];
  if (cmd.kind === 'Supervise') return Object.values(cmd.children);
  return [];
}

/**
 * Warnings for commands whose container is not defined. Not an error at load time: Vagga
 * loads such configs (e.g. when the container lives in a mixin that is missing) and fails
 * only when the command runs — see requireCommandContainer.
 */
export function missingCommandContainers(config: Pick<Config, 'containers' | 'commands'>): string[] {
  const out: string[] = [];
  for (const cmd of Object.values(config.commands)) {
    for (const c of commandContainers(cmd)) {
      if (!(c.container in config.containers)) {
        const guess = didYouMean(c.container, Object.keys(config.containers), (n) => JSON.stringify(n));
        out.push(`${c.pos.file}:${c.pos.line}:${c.pos.col}: Command ${JSON.stringify(cmd.name)} uses container ${JSON.stringify(c.container)} which is not defined${guess ? ` (${guess})` : ''}`);
      }
    }
  }
  return out;
}

/**
 * The container a command (or Supervise child) runs in. Throws ConfigError (126) at the
 * command's position when no such container is defined, listing the defined ones.
 */
export function requireCommandContainer(config: Pick<Config, 'containers'>, cmd: CommandConfig): ContainerConfig {
  const found = config.containers[cmd.container];
  if (found) return found;
  const known = Object.keys(config.containers);
  throw new ConfigError('config.container-not-found',
    `Container ${JSON.stringify(cmd.container)} used by command ${JSON.stringify(cmd.name)} is not defined`,
    cmd.pos, `.commands.${cmd.name}.container`,
    known.length
      ? [didYouMean(cmd.container, known, (n) => JSON.stringify(n)), `Defined containers: ${known.join(', ')}`].filter(Boolean).join('\n')
      : 'No containers are defined (is a mixin missing?)',
  );
}
