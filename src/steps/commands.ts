/**
 * Generic execution steps (vagga-inventory.md §1.4): `!Sh script` runs
 * `/bin/sh -exc <script>` and `!Cmd [argv]` runs argv directly (argv[0] looked up in the
 * build env's PATH inside the root), both in the container being built with cwd /work,
 * through BuildContext.run (nested sandbox, output to stderr). A non-zero exit fails the
 * build. Hash fields (Vagga's generic.rs at the inventory's snapshot, confirmed by the
 * `subdir.83b9845a` vector of subconfig.bats): `script` for Sh, list `command-line` for Cmd.
 */
import { custom, fail, list, str } from '../config/schema.js';
import type { StepDef } from './step.js';

const sh: StepDef<string> = {
  tag: 'Sh',
  hashReadsOnlyParams: true,
  schema: str(),
  hash(script, digest) {
    digest.field('script', script);
  },
  async build(script, ctx) {
    await ctx.run(['/bin/sh', '-exc', script]);
  },
};

const argvSchema = list(str());

const cmd: StepDef<string[]> = {
  tag: 'Cmd',
  hashReadsOnlyParams: true,
  schema: custom('a non-empty list of strings', (node, pctx) => {
    const argv = argvSchema.parse(node, pctx);
    if (argv.length === 0) fail(pctx, node, 'Expected a non-empty command line (program and arguments)');
    return argv;
  }),
  hash(argv, digest) {
    digest.list('command-line', argv);
  },
  async build(argv, ctx) {
    await ctx.run(argv);
  },
};

export const steps: StepDef<any>[] = [sh, cmd];
