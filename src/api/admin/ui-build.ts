// Builds the admin UI (admin-ui/, Preact + TypeScript) with esbuild on the first request to /_/ and keeps it
// in memory: content-hashed file names (served immutable), each asset compressed once with brotli and gzip.
// Building from source in the running server means `npm ci && npm start` serves the UI with no build step.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

/** One built file, its body and precompressed variants. */
export interface UiAsset {
  type: string;
  body: Buffer;
  br: Buffer;
  gzip: Buffer;
  etag: string;
}

export interface UiBundle {
  /** The HTML shell (served no-cache). */
  index: UiAsset;
  /** Hashed assets by file name (served immutable). */
  assets: Map<string, UiAsset>;
}

/** Where the UI's source lives: `admin-ui/` at the package root (listed in package.json `files`). */
export const UI_SOURCE = resolve(import.meta.dirname, '../../../admin-ui');
export const UI_ASSET_PREFIX = '/_/assets/';

const TYPES: Record<string, string> = { '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.svg': 'image/svg+xml' };

function asset(type: string, body: Buffer): UiAsset {
  return {
    type,
    body,
    br: brotliCompressSync(body, { params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: body.length } }),
    gzip: gzipSync(body, { level: 9 }),
    etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`,
  };
}

function shell(js: string, css: string | undefined): string {
  // No inline script or style: the CSP allows only files from this origin.
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Strata admin</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<meta name="referrer" content="no-referrer">
${css ? `<link rel="stylesheet" href="${UI_ASSET_PREFIX}${css}">\n` : ''}<script type="module" src="${UI_ASSET_PREFIX}${js}"></script>
</head><body><div id="app"></div><noscript>The Strata admin UI needs JavaScript.</noscript></body></html>
`;
}

/**
 * Bundles admin-ui/src/main.tsx (minified ES2020 modules) and renders the HTML shell around it.
 *
 * @example
 * const ui = await buildUi();
 * ui.assets.get('main-4XJ2ABCD.js');
 */
export async function buildUi(source = UI_SOURCE): Promise<UiBundle> {
  const entry = join(source, 'src/main.tsx');
  if (!existsSync(entry)) throw new Error(`admin UI source missing: ${entry}`);
  const esbuild = await import('esbuild');
  const out = await esbuild.build({
    entryPoints: [entry],
    absWorkingDir: source,
    bundle: true,
    minify: true,
    format: 'esm',
    target: ['es2020', 'chrome100', 'firefox100', 'safari15'],
    jsx: 'automatic',
    jsxImportSource: 'preact',
    entryNames: '[name]-[hash]',
    assetNames: '[name]-[hash]',
    outdir: join(source, 'dist'), // nothing is written (write: false); names only
    write: false,
    legalComments: 'none',
    logLevel: 'silent',
    define: { 'process.env.NODE_ENV': '"production"' },
  });
  const assets = new Map<string, UiAsset>();
  let js: string | undefined;
  let css: string | undefined;
  for (const f of out.outputFiles) {
    const name = basename(f.path);
    const ext = name.slice(name.lastIndexOf('.'));
    const type = TYPES[ext];
    if (!type) continue;
    assets.set(name, asset(type, Buffer.from(f.contents)));
    if (ext === '.js') js = name;
    if (ext === '.css') css = name;
  }
  if (!js) throw new Error('admin UI build produced no script');
  return { index: asset('text/html; charset=utf-8', Buffer.from(shell(js, css))), assets };
}
