/**
 * `vagga __builder__ <spec.json>`: the process that builds a container, started by
 * applyBuildPlan (ensure-built.ts) inside the builder sandbox (user namespace with the container's uid map, all
 * capabilities, the root being built at /vagga/root). Because it is root in that namespace,
 * steps can use plain node:fs on subuid-owned files. It reads everything from the spec
 * (src/builder/builder-spec.ts), runs the steps and the finish phase, and writes
 * `result.json` next to the spec. What it prints about the steps: src/builder/progress.ts;
 * the steps' programs' output goes to `build.log` next to the spec (build-log.ts), streamed
 * to stderr too when verbose. Exit status: 0 built, 1 failed, 128+N on signal N.
 */
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { writeRootIndex } from './root-index.js';
import { join } from 'node:path';
import { constants } from 'node:os';
import type { BuildLog } from '../steps/step.js';
import { createBuildContext } from './build-context.js';
import { BuildLogFile, createStepLog } from './build-log.js';
import { decodeSpecJson, encodeSpecJson, SCRATCH_FILES, type BuilderResult, type BuilderSpec } from './builder-spec.js';
import { createBuildProgress } from './progress.js';
import { runSteps, type RunStepsDeps } from './run-steps.js';
import { ignoreUserSignals } from '../sandbox/signals.js';

/** Entry of the builder; `args` are the arguments after `__builder__`. Resolves with the exit status. */
export async function builderMain(args: string[]): Promise<number> {
  const specPath = args[0];
  if (!specPath || args.length !== 1) {
    process.stderr.write('Usage: vagga __builder__ <spec.json>  (internal: started by vagga itself)\n');
    return 121;
  }
  const spec = decodeSpecJson<BuilderSpec>(readFileSync(specPath, 'utf8'));
  process.umask(0o022);
  const resultPath = join(spec.scratchDir, SCRATCH_FILES.result);
  const writeResult = (r: BuilderResult) => writeFileSync(resultPath, encodeSpecJson(r));
  let current: BuilderResult['step'];
  const buildLog = new BuildLogFile(join(spec.scratchDir, SCRATCH_FILES.buildLog), spec.hostLogPath);
  const progress = createBuildProgress({
    verbosity: spec.verbosity,
    tty: spec.terminal?.tty ?? false,
    colour: spec.terminal?.colour ?? false,
    write: (text) => { process.stderr.write(text); },
    now: () => Date.now(),
    columns: () => process.stderr.columns,
    log: buildLog,
  });
  const stop = () => {
    progress.close();
    buildLog.close();
  };

  const onSignal = (sig: NodeJS.Signals) => {
    stop();
    writeResult({
      ok: false, phase: current ? 'step' : 'setup', step: current, interrupted: true,
      message: `The build was interrupted (${sig})`,
      hint: 'Run the command again to restart the build.',
    });
    process.exit(128 + (constants.signals[sig] ?? 1));
  };
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, onSignal);
  // SIGUSR1/SIGUSR2 (forwarded by the outer vagga) are ignored: never Node's inspector.
  ignoreUserSignals();

  const log = createStepLog({ verbosity: spec.verbosity, progress, log: buildLog, echo: (chunk) => { process.stderr.write(chunk); } });
  const ctx = createBuildContext(spec, log);
  const { stepDef } = await import('../steps/registry.js');
  const timingsPath = join(spec.scratchDir, SCRATCH_FILES.timings);
  const { resumeStepContexts } = await import('../steps/resume.js');
  const stepsDeps: RunStepsDeps = {
    stepDef,
    progress,
    timing: (line) => {
      try {
        appendFileSync(timingsPath, `${line}\n`);
      } catch {
        // A timing line is not worth failing the build over (e.g. a full disk: the step that
        // hit it reports that).
      }
    },
    now: () => Date.now(),
    onStep: (step: NonNullable<BuilderResult['step']>) => { current = step; },
  };
  try {
    const result = spec.layers
      ? await (await import('./run-layered.js')).runLayered(spec, spec.layers, ctx, {
        ...stepsDeps, resume: resumeStepContexts, uncached: () => runSteps(spec, ctx, stepsDeps),
      })
      : await runSteps(spec, ctx, stepsDeps);
    // A layered build indexes the root itself, with the hashes its layers know.
    if (result.ok && !result.indexed) await writeRootIndex(spec, log);
    writeResult(result);
    return result.ok ? 0 : 1;
  } finally {
    stop();
  }
}
