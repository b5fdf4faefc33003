// Copies the files Great Expectations Data Docs load from CDNs out of node_modules into
// assets/ (minified files only; font-awesome's woff2 fonts, which every browser that
// reads woff2 takes before the ttf ones its CSS also names), and records versions,
// sizes and sha256 in assets.json. Versions are pinned in package.json and
// package-lock.json. Run: npm ci && npm run build   (see README.md)
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

const OUT = 'assets';
// [package, file inside the package, file inside assets/]
const FILES = [
    ['bootstrap', 'dist/css/bootstrap.min.css', 'bootstrap.min.css'],
    ['bootstrap', 'dist/js/bootstrap.min.js', 'bootstrap.min.js'],
    ['jquery', 'dist/jquery.min.js', 'jquery.min.js'],
    ['popper.js', 'dist/umd/popper.min.js', 'popper.min.js'],
    ['bootstrap-table', 'dist/bootstrap-table.min.css', 'bootstrap-table.min.css'],
    ['bootstrap-table', 'dist/bootstrap-table.min.js', 'bootstrap-table.min.js'],
    ['bootstrap-table', 'dist/extensions/filter-control/bootstrap-table-filter-control.min.css',
        'bootstrap-table-filter-control.min.css'],
    ['bootstrap-table', 'dist/extensions/filter-control/bootstrap-table-filter-control.min.js',
        'bootstrap-table-filter-control.min.js'],
    ['bootstrap-datepicker', 'dist/css/bootstrap-datepicker.min.css', 'bootstrap-datepicker.min.css'],
    ['bootstrap-datepicker', 'dist/js/bootstrap-datepicker.min.js', 'bootstrap-datepicker.min.js'],
    ['@forevolve/bootstrap-dark', 'dist/css/bootstrap-prefers-dark.min.css',
        'bootstrap-prefers-dark.min.css'],
    ['vega', 'build/vega.min.js', 'vega.min.js'],
    ['vega-lite', 'build/vega-lite.min.js', 'vega-lite.min.js'],
    ['vega-embed', 'build/vega-embed.min.js', 'vega-embed.min.js'],
    // all.min.css finds its fonts at ../webfonts/, so the two folders keep their names.
    ['@fortawesome/fontawesome-free', 'css/all.min.css', 'fontawesome/css/all.min.css'],
    ...['fa-brands-400', 'fa-regular-400', 'fa-solid-900', 'fa-v4compatibility'].map((font) => [
        '@fortawesome/fontawesome-free', `webfonts/${font}.woff2`,
        `fontawesome/webfonts/${font}.woff2`,
    ]),
];
// The packages' own license files (popper.js and vega ship none: their SPDX license,
// recorded from package.json, and the banner in popper.min.js stand for them).
const LICENSES = {
    'bootstrap': 'LICENSE',
    'jquery': 'LICENSE.txt',
    'bootstrap-table': 'LICENSE',
    'bootstrap-datepicker': 'LICENSE',
    '@forevolve/bootstrap-dark': 'LICENSE',
    'vega-lite': 'LICENSE',
    'vega-embed': 'LICENSE',
    '@fortawesome/fontawesome-free': 'LICENSE.txt',
};

const manifest = (pkg) =>
    JSON.parse(readFileSync(join('node_modules', pkg, 'package.json'), 'utf8'));

rmSync(OUT, { recursive: true, force: true });
const files = {};
const copy = (pkg, from, to) => {
    mkdirSync(dirname(join(OUT, to)), { recursive: true });
    copyFileSync(join('node_modules', pkg, from), join(OUT, to));
    const bytes = readFileSync(join(OUT, to));
    files[to] = {
        package: pkg,
        bytes: bytes.length,
        sha256: createHash('sha256').update(bytes).digest('hex'),
    };
};
for (const [pkg, from, to] of FILES) copy(pkg, from, to);
for (const [pkg, from] of Object.entries(LICENSES)) {
    copy(pkg, from, `licenses/${pkg.replace('/', '__')}.txt`);
}

const names = [...new Set(FILES.map(([pkg]) => pkg))].sort();
const packages = Object.fromEntries(names.map((p) => {
    const { version, license } = manifest(p);
    return [p, { version, license }];
}));
const total = Object.values(files).reduce((sum, f) => sum + f.bytes, 0);
const record = { packages, bytes: total, files };
writeFileSync('assets.json', JSON.stringify(record, null, 2) + '\n');
console.log(`${OUT}/: ${Object.keys(files).length} files, ${total} bytes`);
