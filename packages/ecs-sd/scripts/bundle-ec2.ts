/**
 * Writes dist/vendor/client-ec2.cjs after `tsc`: `@aws-sdk/client-ec2` cut down to what ecs-sd
 * sends, the client and DescribeInstances. The package's CommonJS entry holds all of EC2's 700-odd
 * commands in 2 MB, and loading it keeps about 25 MiB resident for the life of the daemon; this
 * bundle keeps about 6 (`npm run bench -- footprint`: RSS after start 122 -> 102 MiB, steady RSS at
 * 10,000 tasks 186 -> 183, peak 226 -> 221, medians of three interleaved runs).
 * Only the client's own files are bundled, from its ES modules so that unused commands drop out;
 * every other package (@smithy/*, @aws-sdk/core, …) stays a `require` of the one copy in
 * node_modules, so the bundle runs the same code as the package would. dist/lib/sdk.js loads the
 * bundle when it is there; the sources (tests, `node src/cli.ts`) load the package.
 *
 * Run by `npm run build`; `node scripts/bundle-ec2.ts <outfile>` writes elsewhere (tests).
 */
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { EC2_EXPORTS } from '../src/lib/sdk.ts';

const PACKAGE = '@aws-sdk/client-ec2';

/** Bundles the client into `outfile`; throws when a package it requires would resolve differently from there. */
export async function bundleEc2(outfile: string): Promise<{ bytes: number; external: string[] }> {
  const result = await build({
    stdin: {
      contents: `export { ${EC2_EXPORTS.join(', ')} } from '${PACKAGE}';`,
      resolveDir: fileURLToPath(new URL('..', import.meta.url)),
      loader: 'js',
    },
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node22',
    // The ES modules, which esbuild can tree-shake; the CommonJS entry is one 2 MB closure.
    mainFields: ['module', 'main'],
    outfile,
    metafile: true,
    logLevel: 'silent',
    legalComments: 'inline',
    banner: {
      js: `// ${PACKAGE}, only ${EC2_EXPORTS.join(' and ')}: written by scripts/bundle-ec2.ts.`,
    },
    plugins: [
      {
        name: 'other-packages-external',
        setup(b) {
          // A bare import of any other package (not the client's own relative files) stays a require.
          b.onResolve({ filter: /^[^./]/ }, (args) =>
            args.path === PACKAGE || args.path.startsWith(`${PACKAGE}/`)
              ? undefined
              : { path: args.path, external: true },
          );
        },
      },
    ],
  });
  const external = [
    ...new Set(
      Object.values(result.metafile.outputs).flatMap((output) =>
        output.imports.filter((entry) => entry.external).map((entry) => entry.path),
      ),
    ),
  ].sort();
  // The bundle requires from dist/vendor/; the package would from its own folder. Same files, or refuse.
  const fromPackage = createRequire(createRequire(import.meta.url).resolve(`${PACKAGE}/package.json`));
  const fromBundle = createRequire(outfile);
  const differ = external.filter((name) => fromPackage.resolve(name) !== fromBundle.resolve(name));
  if (differ.length > 0) {
    throw new Error(
      `${PACKAGE} would run other copies of ${differ.join(', ')} from ${dirname(outfile)}: its own node_modules has other versions`,
    );
  }
  const bytes = Object.values(result.metafile.outputs).reduce((sum, output) => sum + output.bytes, 0);
  return { bytes, external };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const outfile = resolve(
    process.argv[2] ?? fileURLToPath(new URL('../dist/vendor/client-ec2.cjs', import.meta.url)),
  );
  try {
    const { bytes, external } = await bundleEc2(outfile);
    process.stdout.write(
      `${outfile}: ${PACKAGE} with ${EC2_EXPORTS.join(', ')}, ${(bytes / 1024).toFixed(0)} KiB, requiring ${external.length} packages\n`,
    );
  } catch (err) {
    process.stderr.write(`ecs-sd bundle-ec2: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  }
}
