// Builds the web app into dist/: ES modules bundled and minified by esbuild, every file
// named by its content hash (served immutable), ECharts in its own chunk loaded after
// login, each asset precompressed (.br and .gz) so the service sends it as it is, and
// index.html written last with the hashed names. Run by ./dev (npm run build).
import { build } from "esbuild";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";

const HERE = dirname(fileURLToPath(import.meta.url));
const DIST = join(HERE, "dist");
const ASSETS = join(DIST, "assets");
const URL_BASE = "/dashboard/";
// Text worth compressing; images and fonts are compressed already.
const COMPRESSIBLE = /\.(js|css|html|json|svg|txt|map)$/;

function walk(folder) {
  return readdirSync(folder).flatMap((name) => {
    const path = join(folder, name);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
}

function precompress(file) {
  const data = readFileSync(file);
  writeFileSync(`${file}.gz`, gzipSync(data, { level: 9 }));
  writeFileSync(`${file}.br`, brotliCompressSync(data, {
    params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: data.length },
  }));
}

function indexHtml(script, style) {
  // No inline script or style: the page runs under a strict Content-Security-Policy.
  return `<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>CareLedger 农村留守儿童关爱保护</title>
<link rel="stylesheet" href="${URL_BASE}${style}">
<script type="module" src="${URL_BASE}${script}"></script>
</head>
<body>
<div id="app"><noscript>CareLedger needs JavaScript.</noscript></div>
</body>
</html>
`;
}

rmSync(DIST, { recursive: true, force: true });
mkdirSync(ASSETS, { recursive: true });

const app = await build({
  absWorkingDir: HERE,
  entryPoints: { app: "src/app.js" },
  bundle: true,
  format: "esm",
  splitting: true,
  minify: true,
  target: ["es2020"],
  outdir: ASSETS,
  entryNames: "[name]-[hash]",
  chunkNames: "[name]-[hash]",
  assetNames: "[name]-[hash]",
  metafile: true,
  legalComments: "none",
  logLevel: "warning",
});

const outputs = Object.entries(app.metafile.outputs);
const [entryFile, entry] = outputs.find(([, out]) => out.entryPoint === "src/app.js");
const asUrl = (file) => relative(DIST, join(HERE, file)).split("\\").join("/");
const script = asUrl(entryFile);
const style = asUrl(entry.cssBundle);
const files = outputs.map(([file]) => asUrl(file)).sort();

// The service worker keeps a fixed URL (/dashboard/sw.js) so it can be updated in place;
// it learns the hashed app shell from the constant below, so each build changes its bytes.
const shell = ["index.html", script, style];
if (existsSync(join(HERE, "src/sw.js"))) {
  await build({
    absWorkingDir: HERE,
    entryPoints: ["src/sw.js"],
    bundle: true,
    format: "iife",
    minify: true,
    target: ["es2020"],
    outfile: join(DIST, "sw.js"),
    define: { __APP_SHELL__: JSON.stringify(shell.map((f) => (f === "index.html" ? URL_BASE : URL_BASE + f))) },
    logLevel: "warning",
  });
}

writeFileSync(join(DIST, "index.html"), indexHtml(script, style));
writeFileSync(join(DIST, "manifest.json"), JSON.stringify({
  "index.html": "index.html", "app.js": script, "app.css": style, files,
  "sw.js": existsSync(join(DIST, "sw.js")) ? "sw.js" : null,
}, null, 2));

let raw = 0;
let brotli = 0;
for (const file of walk(DIST)) {
  if (!COMPRESSIBLE.test(file)) continue;
  precompress(file);
  raw += statSync(file).size;
  brotli += statSync(`${file}.br`).size;
}
console.log(`web app built: ${files.length} assets in dist/, ${(raw / 1024).toFixed(0)} KiB, ${(brotli / 1024).toFixed(0)} KiB with brotli`);
