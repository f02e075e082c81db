#!/usr/bin/env node
/**
 * Bundle the CLI into dist/ with esbuild (https://esbuild.github.io/api/).
 *
 * Input:  src/cli/main.ts (the entry; its top level only calls main()).
 * Output: dist/vagga.mjs  — the small main chunk, ESM, `#!/usr/bin/env node`, mode 0755;
 *         dist/chunks/*.mjs — lazily loaded chunks, one per group of dynamic `import()`s
 *         (esbuild code splitting), so start-up only parses what the command needs.
 *
 * Portability: platform "node", target node20, only `node:` built-ins at run time, so the
 * same files run under Bun. CommonJS dependencies (proper-lockfile) call `require()`;
 * esbuild's ESM output has no `require`, so every output file starts with a one-line
 * `createRequire(import.meta.url)` shim (node:module, also provided by Bun).
 *
 * Fast CommonJS entry (added for start-up speed, see src/cli/fast-entry.ts): the same entry is
 * also bundled as one CommonJS file, dist/vagga-main.cjs, and src/cli/fast-entry.ts becomes
 * dist/vagga.cjs (`#!/usr/bin/env node`, 0755), which first tries the warm path (a cached
 * launch started without the CLI: src/cli/warm-entry.ts, about 50 KiB with the sandbox
 * launcher it needs), then runs vagga-main.cjs through a V8 code cache. Node starts a CommonJS entry without its ES module loader (~8 ms less) and the code
 * cache saves compiling the bundle (~10 ms); behaviour is the same as dist/vagga.mjs.
 *
 * dist/ is emptied first: chunk names carry content hashes and stale ones would pile up.
 * Usage: node scripts/bundle.mjs [--no-minify] [--metafile] [--entry FILE] [--outdir DIR]
 *        (--entry/--outdir are relative to the repository; for trying the bundler itself)
 * Exit status: 0 on success, 1 when esbuild reports errors (printed to stderr).
 */
import { build } from 'esbuild';
import { chmodSync, existsSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
/** Value of `--name VALUE` on the command line, if given. */
const option = (name) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : undefined);
const args = new Set(argv);
const entry = join(root, option('--entry') ?? 'src/cli/main.ts');
const outdir = join(root, option('--outdir') ?? 'dist');
const minify = !args.has('--no-minify');

/**
 * esbuild plugin: a dynamic `import('pkg')` of a bare package name goes through a small ESM
 * facade. With code splitting, esbuild turns `await import('yaml')` of a CommonJS package into
 * a namespace holding only `default`, while Node (and tsx in the unit tests) also exposes the
 * named exports. The facade lists those names (read by loading the package here, at bundle
 * time) so the bundle behaves like Node: named exports plus `default` = `module.exports`.
 * ESM packages (which `require` refuses) get a plain `export *` re-export.
 */
const lazyPackageFacade = {
  name: 'lazy-package-facade',
  setup(b) {
    const requireHere = createRequire(join(root, 'package.json'));
    b.onResolve({ filter: /^[^./]/ }, (a) => {
      if (a.kind !== 'dynamic-import' || a.path.startsWith('node:') || a.namespace === 'facade') return undefined;
      return { path: a.path, namespace: 'facade' };
    });
    b.onLoad({ filter: /.*/, namespace: 'facade' }, (a) => {
      const spec = JSON.stringify(a.path);
      let names;
      try {
        names = Object.keys(requireHere(a.path)).filter((n) => n !== 'default' && /^[A-Za-z_$][\w$]*$/.test(n));
      } catch {
        return { contents: `export * from ${spec};`, resolveDir: root, loader: 'js' };
      }
      const lines = [`import * as ns from ${spec};`, 'export default ns.default;'];
      for (const n of names) lines.push(`export const ${n} = ns[${JSON.stringify(n)}];`);
      return { contents: lines.join('\n'), resolveDir: root, loader: 'js' };
    });
  },
};

/** The `require` shim for bundled CommonJS code; `__vagga_cr` avoids name clashes. */
const requireShim =
  "import { createRequire as __vagga_cr } from 'node:module'; const require = __vagga_cr(import.meta.url);";

async function main() {
  if (!existsSync(entry)) {
    console.error(`bundle: entry ${relative(root, entry)} does not exist yet`);
    return 1;
  }
  const started = process.hrtime.bigint();
  rmSync(outdir, { recursive: true, force: true });
  mkdirSync(outdir, { recursive: true });
  let result;
  try {
    result = await build({
      absWorkingDir: root,
      entryPoints: { vagga: entry },
      outdir,
      bundle: true,
      splitting: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      outExtension: { '.js': '.mjs' },
      chunkNames: 'chunks/[name]-[hash]',
      minifyWhitespace: minify,
      minifySyntax: minify,
      // Identifiers stay readable so stack traces of internal errors mean something.
      minifyIdentifiers: false,
      sourcemap: false,
      legalComments: 'none',
      banner: { js: requireShim },
      metafile: true,
      write: false,
      logLevel: 'warning',
      plugins: [lazyPackageFacade],
    });
  } catch {
    // esbuild already printed its diagnostics.
    return 1;
  }
  // Fast CommonJS entry (see the header comment): one CommonJS file, no splitting. Only for
  // the real CLI entry (a custom --entry may use top-level await, which CommonJS cannot).
  const fastEntry = join(root, 'src/cli/fast-entry.ts');
  let cjs = [];
  try {
    if (!option('--entry')) cjs = await Promise.all([
      build({
        absWorkingDir: root, entryPoints: [entry], outfile: join(outdir, 'vagga-main.cjs'), bundle: true, format: 'cjs',
        platform: 'node', target: 'node20', minifyWhitespace: minify, minifySyntax: minify, minifyIdentifiers: false,
        sourcemap: false, legalComments: 'none', write: false, logLevel: 'warning',
      }),
      build({
        absWorkingDir: root, entryPoints: [fastEntry], outfile: join(outdir, 'vagga.cjs'), bundle: true, format: 'cjs',
        platform: 'node', target: 'node20', minifyWhitespace: minify, minifySyntax: minify, minifyIdentifiers: false,
        sourcemap: false, legalComments: 'none', write: false, logLevel: 'warning', banner: { js: '#!/usr/bin/env node' },
      }),
    ]);
  } catch {
    return 1;
  }
  const mainPath = join(outdir, 'vagga.mjs');
  const sizes = [];
  for (const file of result.outputFiles) {
    mkdirSync(dirname(file.path), { recursive: true });
    if (file.path === mainPath) {
      writeFileSync(file.path, Buffer.concat([Buffer.from('#!/usr/bin/env node\n'), Buffer.from(file.contents)]));
      chmodSync(file.path, 0o755);
    } else {
      writeFileSync(file.path, file.contents);
    }
    sizes.push([relative(root, file.path), statSync(file.path).size]);
  }
  let cjsSize = 0;
  for (const file of cjs.flatMap((r) => r.outputFiles)) {
    writeFileSync(file.path, file.contents);
    if (file.path.endsWith('vagga.cjs')) chmodSync(file.path, 0o755);
    cjsSize += file.contents.length;
  }
  if (args.has('--metafile')) writeFileSync(join(outdir, 'meta.json'), JSON.stringify(result.metafile));
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  const mainSize = sizes.find(([p]) => p === relative(root, mainPath))?.[1] ?? 0;
  const total = sizes.reduce((n, [, s]) => n + s, 0);
  console.error(
    `bundle: ${relative(root, mainPath)} ${(mainSize / 1024).toFixed(1)} KiB + ${sizes.length - 1} lazy chunk(s), ` +
      `${(total / 1024).toFixed(1)} KiB total` +
      (cjsSize ? `; CommonJS fast entry dist/vagga.cjs + vagga-main.cjs ${(cjsSize / 1024).toFixed(1)} KiB` : '') +
      `, in ${ms.toFixed(0)} ms`,
  );
  return 0;
}

process.exitCode = await main();
