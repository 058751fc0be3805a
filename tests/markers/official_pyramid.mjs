// Official MindAR 1.2.5 keyframe images and tracking points for one greyscale image, as JSON.
//
// Usage: node tests/markers/official_pyramid.mjs GREY.raw WIDTH HEIGHT
// GREY.raw holds WIDTH*HEIGHT bytes (row-major). Prints
// {"matching": [{width, height, scale}], "tracking": [{width, height, scale, points, data}]}
// with tracking ``data`` base64-encoded. Only the pure-JS parts are loaded (no tfjs).
import { readFileSync } from 'node:fs';
import { buildImageList, buildTrackingImageList } from 'mind-ar/src/image-target/image-list.js';
import { extractTrackingFeatures } from 'mind-ar/src/image-target/tracker/extract-utils.js';

const [path, w, h] = process.argv.slice(2);
const width = Number(w);
const height = Number(h);
const data = new Uint8Array(readFileSync(path));
if (data.length !== width * height) throw new Error(`expected ${width * height} bytes`);
const target = { data, width, height };

const matching = buildImageList(target).map(({ width, height, scale, data }) => ({
  width, height, scale, data: Buffer.from(data).toString('base64'),
}));
const tracking = extractTrackingFeatures(buildTrackingImageList(target), () => {}).map(
  ({ width, height, scale, points, data }) => ({
    width, height, scale, points, data: Buffer.from(data).toString('base64'),
  }),
);
console.log(JSON.stringify({ matching, tracking }));
