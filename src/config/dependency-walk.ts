/**
 * The one walk over references between containers (`!Container`, `!Build`, `!SubConfig`
 * setup steps: StepDef.dependsOn), shared by the load-time check (references.ts) and the
 * build plan (src/builder/build-plan.ts). Pure: the edges come from a callback.
 */

/** A reference to container `name` (E: what the caller keeps with it, e.g. the step). */
export interface WalkEdge {
  name: string;
}

/** What walkDependencies calls while it walks. */
export interface DependencyVisitor<E extends WalkEdge> {
  /**
   * First arrival at `name` (`via`: the reference that led there, made in container
   * `via.from`; undefined for the start). True: walk its dependencies.
   */
  enter(name: string, via: { from: string; edge: E } | undefined): boolean;
  /** After `name`'s dependencies (`deps`: the direct ones walked, without repeats; empty when not walked). */
  leave(name: string, deps: string[]): void;
  /**
   * `edge` (made in container `from`) leads back to a container whose dependencies are
   * being walked: `loop` holds the references of the loop in order, `edge` last. The walk
   * goes on without following `edge` unless this throws.
   */
  cycle(loop: Array<{ from: string; edge: E }>): void;
}

/**
 * Walk depth first from `start` along `dependencies(name)` (in their order): each container
 * is entered once (`seen` may be shared between walks), so `leave` sees every container
 * after the ones it depends on.
 */
export function walkDependencies<E extends WalkEdge>(
  start: string, dependencies: (name: string) => readonly E[], visitor: DependencyVisitor<E>, seen: Set<string> = new Set(),
): void {
  // The containers being walked, and the reference that led to each (none for `start`).
  const path: string[] = [];
  const into: Array<{ from: string; edge: E } | undefined> = [];
  const visit = (name: string, via: { from: string; edge: E } | undefined): void => {
    const loop = path.indexOf(name);
    if (loop >= 0) {
      visitor.cycle([...into.slice(loop + 1).map((e) => e!), via!]);
      return;
    }
    if (seen.has(name)) return;
    seen.add(name);
    const deps: string[] = [];
    if (visitor.enter(name, via)) {
      path.push(name);
      into.push(via);
      for (const edge of dependencies(name)) {
        visit(edge.name, { from: name, edge });
        if (!deps.includes(edge.name)) deps.push(edge.name);
      }
      path.pop();
      into.pop();
    }
    visitor.leave(name, deps);
  };
  visit(start, undefined);
}
