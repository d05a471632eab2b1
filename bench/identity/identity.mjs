// Issue 28's identity target: does an exported edit keep the person? Reads the face chips that
// `glowlab-cli judge-edits --through-export --identity-chips DIR` writes (each held-out photo's and
// each of its exports', cut by dlib's alignment for face recognition), describes every chip with
// dlib's face recognition network (a ResNet trained elsewhere on photos of many people, with no
// part in the flow or the judges; the TensorFlow.js port in @vladmandic/face-api), and counts an edit as
// the same person when its descriptor lies within 0.6 of the unedited photo's (dlib's own threshold:
// 99.38% on LFW). As a check that the network can tell these small photos apart, different held-out
// photos (almost always different people) are compared the same way.
//
//   npm ci --prefix bench/identity
//   node bench/identity/identity.mjs DIR [--threshold 0.6] [--json OUT]
//
// Prints a table per attribute and edit direction; --json writes the figures.
import { readFileSync, writeFileSync, renameSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);

function usage(message) {
  if (message) console.error(`identity.mjs: ${message}`);
  (message ? console.error : console.log)('usage: node bench/identity/identity.mjs DIR [--threshold 0.6] [--json OUT]');
  process.exit(message ? 2 : 0);
}

const args = process.argv.slice(2);
let folder = null;
let threshold = 0.6;
let jsonOut = null;
for (let i = 0; i < args.length; ++i) {
  if (args[i] === '--threshold') threshold = Number(args[++i]);
  else if (args[i] === '--json') jsonOut = args[++i];
  else if (args[i] === '-h' || args[i] === '--help') usage();
  else if (!folder) folder = args[i];
  else usage(`unexpected argument ${args[i]}`);
}
if (!folder) usage('the chips folder is missing');
if (!(threshold > 0)) usage('--threshold needs a positive number');
if (jsonOut === undefined) usage('--json needs a file');

function readIndex() {
  let index;
  try {
    index = JSON.parse(readFileSync(join(folder, 'chips.json'), 'utf8'));
  } catch (e) {
    console.error(`${join(folder, 'chips.json')}: cannot read the chips' index (${e.message})`);
    process.exit(1);
  }
  if (index.format !== 'glowlab.identity-chips/1' || !Array.isArray(index.chips) || index.channels !== 3) {
    console.error(`${join(folder, 'chips.json')}: not an index of identity chips (glowlab.identity-chips/1)`);
    process.exit(1);
  }
  if (index.chips.length === 0) {
    console.error(`${folder}: no chips (${index.photos_without_face} photos without a face found): nothing to compare`);
    process.exit(1);
  }
  const bytes = readFileSync(join(folder, 'chips.u8'));
  const chipBytes = index.size * index.size * 3;
  if (bytes.length !== chipBytes * index.chips.length) {
    console.error(`${join(folder, 'chips.u8')}: ${bytes.length} bytes, expected ${index.chips.length} chips of ${chipBytes}`);
    process.exit(1);
  }
  return { index, bytes, chipBytes };
}

async function loadNetwork() {
  const faceapi = require('@vladmandic/face-api/dist/face-api.node-wasm.js');
  const wasm = require('@tensorflow/tfjs-backend-wasm');
  const tf = faceapi.tf;
  wasm.setWasmPaths(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm')) + '/');
  await tf.setBackend('wasm');
  await tf.ready();
  const models = join(dirname(require.resolve('@vladmandic/face-api/package.json')), 'model');
  const manifest = JSON.parse(readFileSync(join(models, 'face_recognition_model-weights_manifest.json'), 'utf8'));
  const bin = readFileSync(join(models, 'face_recognition_model.bin'));
  const weights = tf.io.decodeWeights(bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.length), manifest[0].weights);
  faceapi.nets.faceRecognitionNet.loadFromWeightMap(weights);
  return { tf, net: faceapi.nets.faceRecognitionNet };
}

function distance(a, b) {
  let s = 0;
  for (let k = 0; k < a.length; ++k) s += (a[k] - b[k]) ** 2;
  return Math.sqrt(s);
}

function median(values) {
  const v = [...values].sort((x, y) => x - y);
  return v.length ? (v.length % 2 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2) : NaN;
}

function share(distances, below) {
  return distances.length ? distances.filter((d) => d < below).length / distances.length : NaN;
}

function summary(distances) {
  return {
    edits: distances.length,
    same_person: share(distances, threshold),
    // The margin: the shares within stricter distances than dlib's threshold.
    within_0_5: share(distances, 0.5),
    within_0_4: share(distances, 0.4),
    mean_distance: distances.length ? distances.reduce((s, d) => s + d, 0) / distances.length : NaN,
    median_distance: median(distances),
  };
}

const { index, bytes, chipBytes } = readIndex();
const { tf, net } = await loadNetwork();
const descriptors = [];
const started = Date.now();
for (let i = 0; i < index.chips.length; ++i) {
  const chip = tf.tensor3d(new Uint8Array(bytes.buffer, bytes.byteOffset + i * chipBytes, chipBytes), [index.size, index.size, 3], 'int32');
  descriptors.push(await net.computeFaceDescriptor(chip));
  chip.dispose();
  if ((i + 1) % 200 === 0) console.error(`described ${i + 1} of ${index.chips.length} chips`);
}

// Each edit against its own unedited photo, by attribute and direction.
const groups = new Map();
const all = [];
for (let i = 0; i < index.chips.length; ++i) {
  const c = index.chips[i];
  if (c.of === null || c.of === undefined) continue;
  const d = distance(descriptors[i], descriptors[c.of]);
  const key = `${c.attribute} ${c.value >= 0 ? '+' : '-'}`;
  if (!groups.has(key)) groups.set(key, { attribute: c.attribute, direction: c.value >= 0 ? 'add' : 'remove', d: [] });
  groups.get(key).d.push(d);
  all.push(d);
}
// Different photos (consecutive unedited chips): how often the network would wrongly call them one person.
const photos = index.chips.map((c, i) => (c.of === null || c.of === undefined ? i : -1)).filter((i) => i >= 0);
const different = [];
for (let k = 0; k + 1 < photos.length; ++k) different.push(distance(descriptors[photos[k]], descriptors[photos[k + 1]]));

const result = {
  network: "dlib's face recognition ResNet (face-api 1.7.15's port), 128-D descriptors",
  threshold,
  photos: photos.length,
  photos_without_face: index.photos_without_face,
  refound: index.chips.filter((c) => c.of !== null && c.of !== undefined && c.refound).length,
  overall: summary(all),
  different_photos: { pairs: different.length, called_same: summary(different).same_person, mean_distance: summary(different).mean_distance },
  groups: [...groups.values()].map((g) => ({ attribute: g.attribute, direction: g.direction, ...summary(g.d) })),
  seconds: (Date.now() - started) / 1000,
};

const pct = (x) => `${(100 * x).toFixed(0)}%`;
console.log(`${'attribute'.padEnd(24)} ${'edit'.padEnd(7)} ${'edits'.padStart(5)} ${'same person'.padStart(11)} ${'median dist'.padStart(11)}`);
for (const g of result.groups) {
  console.log(`${g.attribute.padEnd(24)} ${g.direction.padEnd(7)} ${String(g.edits).padStart(5)} ${pct(g.same_person).padStart(11)} ${g.median_distance.toFixed(3).padStart(11)}`);
}
console.log(`all edits: ${result.overall.edits}, the same person ${pct(result.overall.same_person)} (distance < ${threshold}), ` +
            `median distance ${result.overall.median_distance.toFixed(3)}; within 0.5: ${pct(result.overall.within_0_5)}, within 0.4: ${pct(result.overall.within_0_4)}`);
console.log(`different photos: ${result.different_photos.pairs} pairs, called the same person ${pct(result.different_photos.called_same)}, mean distance ${result.different_photos.mean_distance.toFixed(3)}`);
if (jsonOut) {
  writeFileSync(`${jsonOut}.tmp-identity`, JSON.stringify(result, null, 1) + '\n');
  renameSync(`${jsonOut}.tmp-identity`, jsonOut);
}
