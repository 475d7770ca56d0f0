#!/usr/bin/env bash
# Build assets/vendor/plotly.js: plotly.js with only the traces the app draws (scatter,
# contour, heatmap, surface, scatter3d), the same version as plotly.py's own bundle.
# dcc.Graph uses window.Plotly when it is there, so the app never fetches plotly.py's full
# bundle (4.8 MB): a page downloads and starts 1.8 MB instead. Needs node and the npm
# registry; builds as plotly.js builds itself (its esbuild-config.js: inline CSS, GLSL
# shaders, regl and stream aliases). Run it when plotly (requirements.txt) changes: the
# tests check that the versions agree. Prints the file's sha256 for assets/vendor/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
version=$(python -c "import plotly.offline as o; print(o.get_plotlyjs_version())")
out="$PWD/assets/vendor/plotly.js"
# a fixed folder: the inline-CSS plugin names its style element by a hash of the CSS file's
# path, so the same folder gives the same bytes on any machine
work=/tmp/visualizer-plotly-build
rm -rf "$work" && mkdir -p "$work"
trap 'rm -rf "$work"' EXIT
cd "$work"
echo '{"name": "visualizer-plotly", "version": "1.0.0", "private": true}' > package.json
npm install --silent --no-audit --no-fund "plotly.js@$version" esbuild@0.28.2 \
    esbuild-plugin-inline-css@0.0.1 esbuild-plugin-glsl@1.4.2 \
    esbuild-plugin-environment@0.5.0 stream-browserify@3.0.0
cat > entry.js <<'EOF'
var Plotly = require('plotly.js/lib/core');
Plotly.register([require('plotly.js/lib/contour'), require('plotly.js/lib/heatmap'),
                 require('plotly.js/lib/surface'), require('plotly.js/lib/scatter3d')]);
window.Plotly = Plotly;
EOF
cat > build.js <<EOF
const { environmentPlugin } = require('esbuild-plugin-environment');
const { glsl } = require('esbuild-plugin-glsl');
const InlineCSSPlugin = require('esbuild-plugin-inline-css');
require('esbuild').build({
    entryPoints: ['entry.js'], outfile: '$out', format: 'iife', bundle: true, minify: true,
    plugins: [InlineCSSPlugin(), glsl({ minify: true }), environmentPlugin({ NODE_DEBUG: false })],
    alias: { regl: '@plotly/regl', stream: 'stream-browserify' },
    define: { global: 'window', 'define.amd': 'false' },
    target: 'es2016',
    banner: { js: '/* plotly.js v$version (MIT licence: plotly.js.LICENSE), only scatter, contour, '
                  + 'heatmap, surface and scatter3d: built by scripts/build_plotly.sh */' },
}).catch(() => process.exit(1));
EOF
node build.js
cp node_modules/plotly.js/LICENSE "$(dirname "$out")/plotly.js.LICENSE"
sha256sum "$out"
