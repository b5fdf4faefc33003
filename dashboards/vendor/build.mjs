// Builds plotly-custom.min.js: plotly.js core plus only the trace types the dashboards
// draw, with esbuild, following plotly.js's own esbuild-config.js minus the plugins that
// only the WebGL and map traces need. Versions are pinned in package.json and
// package-lock.json. Run: npm ci && npm run build   (see README.md)
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';

// The trace types dashboards/plots.js and figures.py emit (the browser tests check
// every drawn trace is one of these).
const TRACES = ['bar', 'scatter', 'heatmap', 'sankey'];
const OUT = 'plotly-custom.min.js';
const version = JSON.parse(readFileSync('node_modules/plotly.js/package.json', 'utf8')).version;

const entry = [
    "'use strict';",
    "var Plotly = require('plotly.js/lib/core');",
    `Plotly.register([${TRACES.map((t) => `require('plotly.js/lib/${t}')`).join(', ')}]);`,
    'module.exports = Plotly;',
].join('\n');

await build({
    stdin: { contents: entry, resolveDir: import.meta.dirname, sourcefile: 'entry.js' },
    outfile: OUT,
    format: 'iife',
    globalName: 'Plotly',
    bundle: true,
    minify: true,
    legalComments: 'eof',
    // As plotly.js's config: one regl, the browser stream, `global` is the window.
    alias: { regl: '@plotly/regl', stream: 'stream-browserify' },
    define: { global: 'window', 'define.amd': 'false', 'process.env.NODE_DEBUG': 'false' },
    // registry.js requires maplibre's CSS for map traces, which this bundle leaves out.
    loader: { '.css': 'empty' },
    target: 'es2016',
    banner: {
        js: `/* plotly.js v${version} (${TRACES.join(', ')}), MIT License, ` +
            'Copyright 2016-2024 Plotly Technologies Inc.; built by dashboards/vendor/build.mjs */',
    },
    logLevel: 'warning',
});

const bytes = readFileSync(OUT);
const sha256 = createHash('sha256').update(bytes).digest('hex');
const record = { file: OUT, plotly_js: version, traces: TRACES, bytes: bytes.length, sha256 };
writeFileSync('bundle.json', JSON.stringify(record, null, 2) + '\n');
console.log(`${OUT}: ${bytes.length} bytes, sha256 ${sha256}`);
