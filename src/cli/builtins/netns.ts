/**
 * `vagga _create_netns`, `_destroy_netns` and `_network` on the host (vagga-inventory.md §1.8,
 * §2.12). Vagga needed sudo for the first two (a veth pair, a bridge, iptables in the host);
 * here every networked `!Supervise` run creates and removes its own network in namespaces
 * the user owns (src/network/), so they only say so. `_network` is answered inside the
 * children of such a run (src/network/bridge-control.ts); on the host it fails as Vagga's
 * does outside a supervise run.
 */
import type { BuiltinCall } from '../builtin-spec.js';
import type { CliContext } from '../context.js';

/** Exit 0 with one line for `_create_netns`/`_destroy_netns`; 1 for `_network` on the host (121 with no project, as other built-ins). */
export async function run(ctx: CliContext, call: BuiltinCall): Promise<number> {
  if (call.spec.name === '_network') {
    ctx.err('This command is supposed to be run inside container started by vagga !Supervise command (with `network:` children)\n');
    return 1;
  }
  const what = call.spec.name === '_create_netns' ? 'set up' : 'removed';
  ctx.out(`Nothing to do: ${call.spec.name} is not needed. Each !Supervise run with \`network:\` children creates its network in namespaces you own and removes it when it ends; nothing is ${what} on the host.\n`);
  return 0;
}
