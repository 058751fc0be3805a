// Official MindAR 1.2.5 matching keyframes (detector + cluster trees) for greyscale images, as JSON.
//
// Usage: node tests/markers/official_keyframe.mjs GREY.raw:WIDTH:HEIGHT:SCALE [...]
// Each GREY.raw holds WIDTH*HEIGHT bytes (row-major) of an image already at its keyframe size.
// Prints a JSON array with one keyframe per image, built exactly like compiler-base.js's
// _extractMatchingFeatures does (tfjs CPU backend; no image resizing here).
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import 'mind-ar/src/image-target/detector/kernels/cpu/index.js';
import { Detector } from 'mind-ar/src/image-target/detector/detector.js';
import { build } from 'mind-ar/src/image-target/matching/hierarchical-clustering.js';

await tf.setBackend('cpu');
await tf.ready();

const keyframes = process.argv.slice(2).map((spec) => {
  const [path, w, h, s] = spec.split(':');
  const width = Number(w);
  const height = Number(h);
  const data = new Uint8Array(readFileSync(path));
  if (data.length !== width * height) throw new Error(`${path}: expected ${width * height} bytes`);
  return tf.tidy(() => {
    const input = tf.tensor(data, [data.length], 'float32').reshape([height, width]);
    const { featurePoints } = new Detector(width, height).detect(input);
    const maximaPoints = featurePoints.filter((p) => p.maxima);
    const minimaPoints = featurePoints.filter((p) => !p.maxima);
    return {
      maximaPoints,
      minimaPoints,
      maximaPointsCluster: build({ points: maximaPoints }),
      minimaPointsCluster: build({ points: minimaPoints }),
      width,
      height,
      scale: Number(s),
    };
  });
});
console.log(JSON.stringify(keyframes));
