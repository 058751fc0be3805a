// Runs the official MindAR 1.2.5 image-target compiler (node_modules/mind-ar) in Node on raw pixels.
//
// Usage: node benchmarks/official_mindar.mjs OUT.mind IMAGE.rgba:WIDTH:HEIGHT [IMAGE.rgba:WIDTH:HEIGHT ...]
//
// Each IMAGE.rgba holds WIDTH*HEIGHT*4 bytes (row-major RGBA, already composited on white).
// The official Node compiler draws images through node-canvas, which is not built here
// (.npmrc has ignore-scripts). CompilerBase only needs a 2D context whose getImageData()
// returns the RGBA bytes, so we hand it a minimal stand-in and leave the pipeline untouched:
// greyscale, matching pyramid, DoG/FREAK on the tfjs CPU backend, tracking features, msgpack export.
//
// Prints one JSON line: {"startup_ms", "compile_ms", "export_ms", "bytes", "targets"}.
// startup_ms covers module loading and tfjs backend initialisation (not the compile itself).

import { readFileSync, writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

const t0 = performance.now();

const [outPath, ...specs] = process.argv.slice(2);
if (!outPath || specs.length === 0) {
  console.error('usage: node official_mindar.mjs OUT.mind IMAGE.rgba:WIDTH:HEIGHT [...]');
  process.exit(2);
}

const images = specs.map((spec) => {
  const m = /^(.*):(\d+):(\d+)$/.exec(spec);
  if (!m) throw new Error(`bad image spec ${spec}; expected PATH:WIDTH:HEIGHT`);
  const [, path, w, h] = m;
  const width = Number(w);
  const height = Number(h);
  const data = new Uint8ClampedArray(readFileSync(path));
  if (data.length !== width * height * 4) {
    throw new Error(`${path}: ${data.length} bytes, expected ${width}x${height}x4`);
  }
  return { width, height, data };
});

const tf = await import('@tensorflow/tfjs');
const { CompilerBase } = await import('mind-ar/src/image-target/compiler-base.js');
const { buildTrackingImageList } = await import('mind-ar/src/image-target/image-list.js');
const { extractTrackingFeatures } = await import('mind-ar/src/image-target/tracker/extract-utils.js');
await import('mind-ar/src/image-target/detector/kernels/cpu/index.js');
await tf.setBackend('cpu');
await tf.ready();

// Same as the official OfflineCompiler, except that the "canvas" returns our pixels.
class RawPixelCompiler extends CompilerBase {
  createProcessCanvas(img) {
    return {
      getContext: () => ({
        drawImage: () => {},
        getImageData: () => ({ data: img.data, width: img.width, height: img.height }),
      }),
    };
  }

  compileTrack({ targetImages }) {
    return Promise.resolve(
      targetImages.map((targetImage) =>
        extractTrackingFeatures(buildTrackingImageList(targetImage), () => {}),
      ),
    );
  }
}

const compiler = new RawPixelCompiler();
const t1 = performance.now();
await compiler.compileImageTargets(images, () => {});
const t2 = performance.now();
const buffer = compiler.exportData();
const t3 = performance.now();
writeFileSync(outPath, buffer);

console.log(
  JSON.stringify({
    startup_ms: t1 - t0,
    compile_ms: t2 - t1,
    export_ms: t3 - t2,
    bytes: buffer.length,
    targets: images.length,
  }),
);
