/**
 * Cross-references checked once all files are combined (vagga-inventory.md §1.2 "Validation
 * at load time"): containers named by setup steps (`!Container`, `!Build`, `!SubConfig`)
 * must exist and must not form a cycle; commands name existing containers.
 */
import { ConfigError, ExitCode, VaggaError } from '../errors/vagga-error.js';
import { stepDef } from '../steps/registry.js';
import type { AnyCommandConfig, CommandConfig, Config, ContainerConfig } from './model.js';

/** Containers a container's setup steps need built first, in step order, with each step's position. */
export function containerDependencies(container: ContainerConfig): Array<{ name: string; step: ContainerConfig['setup'][number] }> {
  const out: Array<{ name: string; step: ContainerConfig['setup'][number] }> = [];
  for (const step of container.setup) {
    const names = stepDef(step.tag)?.dependsOn?.(step.params) ?? [];
    for (const name of names) out.push({ name, step });
  }
  return out;
}

/**
 * Check container references. Throws ConfigError `Container "x" referenced from "y" is not
 * found` (at the step) or VaggaError(126) whose last line is `Container "x" has cyclic
 * dependency` (Vagga's exact wording; the line before names the step and the chain).
 */
export function checkContainerReferences(containers: Record<string, ContainerConfig>): void {
  const state = new Map<string, 'visiting' | 'done'>();
  const chain: string[] = [];
  const visit = (name: string): void => {
    state.set(name, 'visiting');
    chain.push(name);
    for (const dep of containerDependencies(containers[name]!)) {
      if (!(dep.name in containers)) {
        throw new ConfigError(`Container ${JSON.stringify(dep.name)} referenced from ${JSON.stringify(name)} is not found`,
          dep.step.pos, `.containers.${name}.setup`);
      }
      const s = state.get(dep.name);
      if (s === 'visiting') {
        const loop = [...chain.slice(chain.indexOf(dep.name)), dep.name].join(' -> ');
        const p = dep.step.pos;
        throw new VaggaError(`${p.file}:${p.line}:${p.col}: !${dep.step.tag} ${dep.name} in container "${name}" closes a cycle (${loop})\n` +
          `Container ${JSON.stringify(dep.name)} has cyclic dependency`, { exitCode: ExitCode.config });
      }
      if (s === undefined) visit(dep.name);
    }
    chain.pop();
    state.set(name, 'done');
  };
  for (const name of Object.keys(containers)) if (!state.has(name)) visit(name);
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
        out.push(`${c.pos.file}:${c.pos.line}:${c.pos.col}: Command ${JSON.stringify(cmd.name)} uses container ${JSON.stringify(c.container)} which is not defined`);
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
  throw new ConfigError(
    `Container ${JSON.stringify(cmd.container)} used by command ${JSON.stringify(cmd.name)} is not defined`,
    cmd.pos, `.commands.${cmd.name}.container`,
    known.length ? `Defined containers: ${known.join(', ')}` : 'No containers are defined (is a mixin missing?)',
  );
}
