/**
 * README.md's table of error codes, generated from the one table in src/errors/codes.ts so
 * the two cannot drift: the lines between `<!-- error-codes:start -->` and
 * `<!-- error-codes:end -->` in README.md are `| code | exit | meaning |` rows, one per code,
 * in the table's order.
 *
 *   node --import tsx scripts/error-codes-table.mjs          rewrite README.md's block
 *   node --import tsx scripts/error-codes-table.mjs --check  exit 1 (and print the expected
 *                                                            block) when README.md differs
 *
 * test/unit/errors/codes.test.ts runs the --check form.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ERROR_CODES } from '../src/errors/codes.ts';

const START = '<!-- error-codes:start -->';
const END = '<!-- error-codes:end -->';
const readme = join(dirname(fileURLToPath(import.meta.url)), '..', 'README.md');

/** The Markdown table, one row per code (`|` in a meaning escaped). */
function table() {
  const rows = Object.entries(ERROR_CODES).map(([code, { exit, meaning }]) => `| \`${code}\` | ${exit} | ${meaning.replace(/\|/g, '\\|')} |`);
  return ['| code | exit | meaning |', '|---|---|---|', ...rows].join('\n');
}

const text = readFileSync(readme, 'utf8');
const start = text.indexOf(START);
const end = text.indexOf(END);
if (start < 0 || end < start) {
  console.error(`README.md has no ${START} ... ${END} block`);
  process.exit(1);
}
const updated = `${text.slice(0, start + START.length)}\n${table()}\n${text.slice(end)}`;
if (process.argv.includes('--check')) {
  if (updated !== text) {
    console.error(`README.md's error-code table is out of date; run: node --import tsx scripts/error-codes-table.mjs\nExpected:\n${table()}`);
    process.exit(1);
  }
} else if (updated !== text) {
  writeFileSync(readme, updated);
  console.log('README.md: error-code table updated');
}
