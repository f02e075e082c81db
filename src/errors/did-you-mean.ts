/**
 * "Did you mean" suggestions for a mistyped name (a step tag, a config key, a command, a
 * built-in, a container): the one helper every such error uses, so they all suggest alike.
 */

/**
 * Optimal-string-alignment (restricted Damerau-Levenshtein) distance between `a` and `b`:
 * insertions, deletions, substitutions and swaps of two adjacent characters cost 1 each.
 * Compares case-insensitively (`install` is one edit from nothing, not from `Install`).
 */
export function editDistance(a: string, b: string): number {
  const s = a.toLowerCase();
  const t = b.toLowerCase();
  const rows: number[][] = [];
  for (let i = 0; i <= s.length; i++) rows.push([i, ...new Array<number>(t.length).fill(0)]);
  for (let j = 0; j <= t.length; j++) rows[0]![j] = j;
  for (let i = 1; i <= s.length; i++) {
    for (let j = 1; j <= t.length; j++) {
      const cost = s[i - 1] === t[j - 1] ? 0 : 1;
      let d = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && s[i - 1] === t[j - 2] && s[i - 2] === t[j - 1]) d = Math.min(d, rows[i - 2]![j - 2]! + 1);
      rows[i]![j] = d;
    }
  }
  return rows[s.length]![t.length]!;
}

/**
 * The candidate nearest to `word`, or undefined when none is near enough. Near enough:
 * one edit per three characters of `word` (rounded up), at most 3: `tets` may be `test`,
 * but a short name is not matched to an unrelated short name.
 * Ties go to the first candidate in the given order. `word` itself is never suggested.
 */
export function nearest(word: string, candidates: Iterable<string>): string | undefined {
  const limit = Math.min(3, Math.ceil(word.length / 3));
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    if (c === word) continue;
    const d = editDistance(word, c);
    if (d <= limit && d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best;
}

/**
 * `Did you mean <shown>?` for the candidate nearest to `word`, or undefined. `show` renders
 * the suggestion (e.g. with a `!` for a tag or quoted for a command); default: as is.
 */
export function didYouMean(word: string, candidates: Iterable<string>, show: (name: string) => string = (n) => n): string | undefined {
  const hit = nearest(word, candidates);
  return hit === undefined ? undefined : `Did you mean ${show(hit)}?`;
}
