#!/usr/bin/env node
// GlowLab synthetic CelebA-style face generator.
//
// Draws cartoon faces with facesjs (Apache-2.0), rasterises them with resvg-js (MPL-2.0) and writes a
// folder in CelebA's layout (img_align_celeba/, list_attr_celeba.txt, list_eval_partition.txt) plus
// generator.json. Every face depends only on (dataset seed, face index), so a dataset is byte-identical
// for the same seed and any range of indices can be generated alone (--start/--end, --workers).
// See docs/faces-generator.md for the label rules, the sampler and the measured rates.
//
//   node tools/faces/generate.mjs --out DIR --count N [--test-count M] [--seed S] [--size 64]
//                                 [--start I --end J] [--workers W] [--dump-json FILE]
//   node tools/faces/generate.mjs --explain INDEX [--seed S] [--svg FILE] [--png FILE]

import fs from "node:fs";
import path from "node:path";
import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";

import { encodeRgbPng } from "./png.mjs";
import { choice, faceSeed, hslHex, mulberry32, round2, uniform, withRandom } from "./random.mjs";

const HERE = path.dirname(fileURLToPath(import.meta.url));

let facesjs;
let Resvg;
let svgPathBbox;
try {
  facesjs = await import("facesjs");
  ({ Resvg } = await import("@resvg/resvg-js"));
  ({ svgPathBbox } = await import("svg-path-bbox"));
} catch (e) {
  process.stderr.write(
    `generate.mjs: cannot load facesjs / @resvg/resvg-js (${e.message}).\n` +
      `Install them first: (cd ${path.relative(process.cwd(), HERE) || "."} && npm ci)\n`,
  );
  process.exit(3);
}
const { generate, faceToSvgString, svgs } = facesjs;

function packageVersion(name) {
  try {
    const file = path.join(HERE, "node_modules", ...name.split("/"), "package.json");
    return JSON.parse(fs.readFileSync(file, "utf8")).version;
  } catch {
    return "unknown";
  }
}

// ---------------------------------------------------------------------------------------------------
// Attributes (CelebA's names, GlowLab's order)
// ---------------------------------------------------------------------------------------------------

export const ATTRIBUTES = [
  "Bald",
  "Big_Nose",
  "Black_Hair",
  "Blond_Hair",
  "Brown_Hair",
  "Chubby",
  "Eyeglasses",
  "Gray_Hair",
  "Male",
  "Mouth_Slightly_Open",
  "No_Beard",
  "Pale_Skin",
  "Smiling",
  "Wearing_Hat",
];

// facesjs ids and colours the rules and the sampler use (facesjs 5.0.3, see svgs-index.js / generate.js).
const HAT_IDS = ["hat", "hat2", "hat3", "santa-hat"]; // accessories.id; headbands and eye-black are not hats
const GLASSES_IDS = ["glasses1-primary", "glasses1-secondary", "glasses2-black", "glasses2-primary", "glasses2-secondary"];
const BALD_HAIR_IDS = ["bald", "short-bald"]; // bald, and bald on top with a fringe at the sides (any hairBg)
const UNCOLOURED_HAIR_IDS = ["none", "bald", "short-fade", "short-fade-2"]; // hair drawn without $[hairColor]
const NO_BEARD_FACIAL_HAIR_IDS = ["none", "sideburns1", "sideburns2", "sideburns3"];
const SMILING_MOUTH_IDS = ["smile-closed", "smile", "smile2", "smile3", "smile4"];
const OPEN_MOUTH_IDS = ["angry", "mouth", "mouth2", "mouth3", "mouth4", "mouth7", "mouth8", "smile", "smile2", "smile3"];
const PALE_SKIN_COLORS = ["#f2d6cb", "#fedac7"]; // the lightest facesjs skin tones (white, asian palettes)
// Hair colour classes. All but gray are facesjs's own hair colours; facesjs has no gray, GlowLab adds three.
// "#b55239" (auburn, facesjs "white" palette) belongs to no class, as red hair has no CelebA attribute.
const HAIR_COLOR_CLASSES = {
  black: ["#272421", "#0f0902", "#1c1008", "#2c1608"], // #2c1608: facesjs's darkest brown, black at 64 px
  brown: ["#3d2314", "#5a3825", "#cc9966"],
  blond: ["#e9c67b", "#d7bf91"],
  gray: ["#9e9e9e", "#bdbdbd", "#d9d9d9"],
};
const CHUBBY_MIN_FATNESS = 0.75;
const BIG_NOSE_MIN_SIZE = 1.0;

function hairColorClass(color) {
  const c = String(color).toLowerCase();
  for (const [name, colors] of Object.entries(HAIR_COLOR_CLASSES)) if (colors.includes(c)) return name;
  return "other";
}

// ---------------------------------------------------------------------------------------------------
// THE LABEL RULES. `face` is the facesjs face object AFTER faceToSvgString() (which swaps the hair under
// a hat), with two GlowLab fields: face.gender (the gender option given to generate()) and, where a hat
// hid the hair entirely, face.hair.id === "none". Returns {attribute: 1 | -1} in ATTRIBUTES order.
// docs/faces-generator.md documents the same rules as a table; keep the two in step.
// ---------------------------------------------------------------------------------------------------
export function labelsOf(face) {
  const hat = HAT_IDS.includes(face.accessories.id);
  const hairColorVisible = !UNCOLOURED_HAIR_IDS.includes(face.hair.id) || face.hairBg.id !== "none";
  const hairClass = hairColorVisible ? hairColorClass(face.hair.color) : "none";
  const rules = {
    Bald: !hat && BALD_HAIR_IDS.includes(face.hair.id),
    Big_Nose: face.nose.size >= BIG_NOSE_MIN_SIZE,
    Black_Hair: hairClass === "black",
    Blond_Hair: hairClass === "blond",
    Brown_Hair: hairClass === "brown",
    Chubby: face.fatness >= CHUBBY_MIN_FATNESS,
    Eyeglasses: GLASSES_IDS.includes(face.glasses.id),
    Gray_Hair: hairClass === "gray",
    Male: face.gender === "male",
    Mouth_Slightly_Open: OPEN_MOUTH_IDS.includes(face.mouth.id),
    No_Beard: NO_BEARD_FACIAL_HAIR_IDS.includes(face.facialHair.id),
    Pale_Skin: PALE_SKIN_COLORS.includes(String(face.body.color).toLowerCase()),
    Smiling: SMILING_MOUTH_IDS.includes(face.mouth.id),
    Wearing_Hat: hat,
  };
  const out = {};
  for (const a of ATTRIBUTES) out[a] = rules[a] ? 1 : -1;
  return out;
}

// ---------------------------------------------------------------------------------------------------
// The balanced sampler: facesjs's generate() with a seeded Math.random, then forced classes so that every
// attribute is 15-85% positive. Only values facesjs itself uses (its ids, colours and its male number
// ranges) are forced, except the gray hair colours, which facesjs lacks. teamColors and the background,
// which facesjs leaves to the caller, are random light / team-like colours.
// ---------------------------------------------------------------------------------------------------
export const SAMPLER = {
  pBald: 0.4, // males only: hair "bald" (1/3) or "short-bald" (2/3), no hairBg, no hat
  pHat: 0.2, // one of HAT_IDS (on top of facesjs's own 10%)
  pGlasses: 0.3, // one of GLASSES_IDS (on top of facesjs's own 10%); facesjs's "facemask" is removed
  pHairClass: 0.95, // hair colour from a class drawn uniformly from black / brown / blond / gray
  pChubby: 0.3, // fatness in [0.75, 1]; otherwise fatness is kept at most 0.5
  pBigNose: 0.3, // nose.size in [1.05, 1.25]; otherwise nose.size is kept at most 0.9
  pPale: 0.15, // body.color one of PALE_SKIN_COLORS (on top of facesjs's races)
  pSmile: 0.3, // mouth one of SMILING_MOUTH_IDS (on top of facesjs's own 5 in 17)
};

export const VIEWBOX = [10, 130, 380, 380]; // facesjs draws in 0 0 400 600; this centres the face like aligned CelebA

export function makeFace(seed, index) {
  const rng = mulberry32(faceSeed(seed, index));
  const gender = rng() < 0.5 ? "male" : "female";
  const face = withRandom(rng, () => generate(undefined, { gender }));
  face.gender = gender;
  const S = SAMPLER;

  if (face.glasses.id === "facemask") face.glasses.id = "none"; // a sports mask, not eyeglasses
  if (rng() < S.pGlasses) face.glasses.id = choice(rng, GLASSES_IDS);

  const bald = gender === "male" && rng() < S.pBald;
  if (bald) {
    face.hair.id = rng() < 1 / 3 ? "bald" : "short-bald"; // short-bald keeps a fringe that shows the hair colour
    face.hairBg.id = "none";
    if (HAT_IDS.includes(face.accessories.id)) face.accessories.id = "none";
  } else if (rng() < S.pHat) {
    face.accessories.id = choice(rng, HAT_IDS);
  }

  if (rng() < S.pHairClass) {
    const cls = choice(rng, ["black", "brown", "blond", "gray"]);
    face.hair.color = choice(rng, HAIR_COLOR_CLASSES[cls]);
  }

  if (rng() < S.pChubby) face.fatness = round2(uniform(rng, CHUBBY_MIN_FATNESS, 1));
  else if (face.fatness >= 0.5) face.fatness = round2(uniform(rng, 0, 0.5));

  if (rng() < S.pBigNose) face.nose.size = round2(uniform(rng, 1.05, 1.25));
  else if (face.nose.size > 0.9) face.nose.size = round2(uniform(rng, 0.5, 0.9));

  if (rng() < S.pPale) face.body.color = choice(rng, PALE_SKIN_COLORS);
  if (rng() < S.pSmile) face.mouth.id = choice(rng, SMILING_MOUTH_IDS);

  // Colours of jerseys, caps, headbands and glasses frames (facesjs takes them from the caller).
  const teamHue = uniform(rng, 0, 360);
  face.teamColors = [
    hslHex(teamHue, uniform(rng, 0.4, 0.8), uniform(rng, 0.35, 0.6)),
    hslHex((teamHue + uniform(rng, 90, 270)) % 360, uniform(rng, 0.4, 0.8), uniform(rng, 0.3, 0.6)),
    hslHex(uniform(rng, 0, 360), uniform(rng, 0.2, 0.6), uniform(rng, 0.15, 0.4)),
  ];
  const background = hslHex(uniform(rng, 0, 360), uniform(rng, 0.1, 0.35), uniform(rng, 0.78, 0.93));

  // Render. faceToSvgString mutates the face under a hat: some hair ids become "short" / "short-fade",
  // the others are not drawn at all (their id is left as it was); GlowLab marks those as "none".
  const hairBefore = face.hair.id;
  let svg = faceToSvgString(face);
  if (HAT_IDS.includes(face.accessories.id) && face.hair.id === hairBefore) face.hair.id = "none";

  const [x, y, w, h] = VIEWBOX;
  svg = svg
    .replace(/#0000008/g, "#000000") // facesjs's santa hat has an invalid stroke colour
    .replace('viewBox="0 0 400 600"', `viewBox="${VIEWBOX.join(" ")}"`)
    .replace('width="100%" height="100%"', `width="${w}" height="${h}"`)
    .replace(/(<svg[^>]*>)/, `$1\n<rect x="${x}" y="${y}" width="${w}" height="${h}" fill="${background}"/>`);

  return { index, gender, background, face, labels: labelsOf(face), svg };
}

// CelebA's five landmarks (list_landmarks_align_celeba.txt), in pixels of a size x size image, from
// the geometry facesjs draws: it centres each eye's drawing on (140, 310) and (260, 310), the nose's
// on (200, 370) and the mouth's on (200, 440) of its 400 x 600 canvas (facesjs 5.0.3, display.js);
// the mouth corners are its drawing's left and right edges on that line (the width of its paths).
export const LANDMARK_NAMES = ["lefteye_x", "lefteye_y", "righteye_x", "righteye_y", "nose_x", "nose_y",
  "leftmouth_x", "leftmouth_y", "rightmouth_x", "rightmouth_y"];
const mouthHalfWidth = new Map();
export function landmarksOf(face, size) {
  let half = mouthHalfWidth.get(face.mouth.id);
  if (half === undefined) {
    let lo = Infinity;
    let hi = -Infinity;
    for (const m of (svgs.mouth[face.mouth.id] || "").matchAll(/ d="([^"]*)"/g)) {
      const [x0, , x1] = svgPathBbox(m[1]);
      lo = Math.min(lo, x0);
      hi = Math.max(hi, x1);
    }
    half = Number.isFinite(hi - lo) ? (hi - lo) / 2 : 0;
    mouthHalfWidth.set(face.mouth.id, half);
  }
  const [vx, vy, vw, vh] = VIEWBOX;
  const points = [[140, 310], [260, 310], [200, 370], [200 - half, 440], [200 + half, 440]];
  return points.flatMap(([x, y]) => [((x - vx) * size) / vw, ((y - vy) * size) / vh]);
}

export function rasterise(svg, size) {
  // No fonts: the faces have no text, and loading the system fonts would triple the time per face.
  const img = new Resvg(svg, { fitTo: { mode: "width", value: size }, font: { loadSystemFonts: false } }).render();
  if (img.width !== size || img.height !== size) throw new Error(`resvg rendered ${img.width}x${img.height}, not ${size}x${size}`);
  return encodeRgbPng(img.pixels, img.width, img.height);
}

// ---------------------------------------------------------------------------------------------------
// CLI
// ---------------------------------------------------------------------------------------------------
const USAGE = `usage:
  node tools/faces/generate.mjs --out DIR --count N [--test-count M] [--seed S] [--size 64]
                                [--start I --end J] [--workers W] [--dump-json FILE] [--no-lists]
  node tools/faces/generate.mjs --explain INDEX [--seed S] [--size 64] [--svg FILE] [--png FILE]

  --out DIR        output folder (CelebA layout: img_align_celeba/, list_attr_celeba.txt,
                   list_eval_partition.txt, list_landmarks_align_celeba.txt, generator.json)
  --count N        training images (partition 0), indices 1..N
  --test-count M   test images (partition 2), indices N+1..N+M (default 0)
  --seed S         dataset seed, an integer 0..4294967295 (default 1)
  --size P         image side in pixels (default 64)
  --start I --end J  write only images I..J (1-based, inclusive); the label files still cover all images
  --workers W      split the images across W child processes (output identical to one process)
  --dump-json FILE write {attributes, faces: [{index, file, partition, gender, background, face, labels}]}
                   for the images written (face = the facesjs object after rendering)
  --no-lists       write no label files / generator.json (images only)
  --progress K     progress line on stderr every K images (default 1000)
  --explain INDEX  print face INDEX's features and labels as JSON (with --svg / --png: also save it)
`;

function die(msg, code = 2) {
  process.stderr.write(`generate.mjs: ${msg}\n`);
  process.exit(code);
}

function parseArgs(argv) {
  const flags = new Set(["--no-lists", "--help", "-h", "--worker"]);
  const o = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith("-")) die(`unexpected argument '${a}'\n${USAGE}`);
    if (flags.has(a)) {
      o[a] = true;
      continue;
    }
    if (i + 1 >= argv.length) die(`${a} needs a value`);
    o[a] = argv[++i];
  }
  const known = new Set([...flags, "--out", "--count", "--test-count", "--seed", "--size", "--start", "--end", "--workers",
    "--dump-json", "--progress", "--explain", "--svg", "--png"]);
  for (const k of Object.keys(o)) if (!known.has(k)) die(`unknown option ${k}\n${USAGE}`);
  return o;
}

function intArg(o, name, def, min, max) {
  if (o[name] === undefined) {
    if (def === undefined) die(`${name} is required\n${USAGE}`);
    return def;
  }
  const s = String(o[name]);
  if (!/^\d+$/.test(s)) die(`${name} must be a non-negative integer, got '${s}'`);
  const v = Number(s);
  if (v < min || v > max) die(`${name} must be in ${min}..${max}, got ${s}`);
  return v;
}

const pad6 = (i) => String(i).padStart(6, "0");
const fileName = (i) => `${pad6(i)}.png`;

function writeAtomic(file, data) {
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, data);
  fs.renameSync(tmp, file);
}

function rates(labelRows) {
  const out = {};
  for (const a of ATTRIBUTES) {
    const pos = labelRows.filter((l) => l[a] === 1).length;
    out[a] = labelRows.length ? Math.round((pos / labelRows.length) * 10000) / 10000 : 0;
  }
  return out;
}

function explain(o) {
  const seed = intArg(o, "--seed", 1, 0, 0xffffffff);
  const index = intArg(o, "--explain", undefined, 1, 999999);
  const size = intArg(o, "--size", 64, 8, 4096);
  const r = makeFace(seed, index);
  if (o["--svg"]) fs.writeFileSync(o["--svg"], r.svg);
  if (o["--png"]) fs.writeFileSync(o["--png"], rasterise(r.svg, size));
  const { svg, ...rest } = r;
  process.stdout.write(JSON.stringify({ seed, ...rest }, null, 2) + "\n");
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  if (o["--help"] || o["-h"]) {
    process.stdout.write(USAGE);
    return;
  }
  if (o["--explain"] !== undefined) return explain(o);

  if (!o["--out"]) die(`--out is required\n${USAGE}`);
  const out = o["--out"];
  const count = intArg(o, "--count", undefined, 1, 999999);
  const testCount = intArg(o, "--test-count", 0, 0, 999999 - count);
  const total = count + testCount;
  const seed = intArg(o, "--seed", 1, 0, 0xffffffff);
  const size = intArg(o, "--size", 64, 8, 4096);
  const start = intArg(o, "--start", 1, 1, total);
  const end = intArg(o, "--end", total, start, total);
  const workers = intArg(o, "--workers", 1, 1, 256);
  const progressEvery = intArg(o, "--progress", 1000, 1, 1e9);
  const writeLists = !o["--no-lists"];
  const isWorker = !!o["--worker"];
  const dumpFile = o["--dump-json"];

  const imgDir = path.join(out, "img_align_celeba");
  fs.mkdirSync(imgDir, { recursive: true });

  // --workers: children write the images of their sub-ranges; this process computes the labels (no rasterising).
  const children = [];
  let renderHere = true;
  if (workers > 1 && end >= start) {
    renderHere = false;
    const n = end - start + 1;
    const w = Math.min(workers, n);
    for (let k = 0; k < w; k++) {
      const a = start + Math.floor((n * k) / w);
      const b = start + Math.floor((n * (k + 1)) / w) - 1;
      const args = ["--out", out, "--count", String(count), "--test-count", String(testCount), "--seed", String(seed),
        "--size", String(size), "--start", String(a), "--end", String(b), "--no-lists", "--worker",
        "--progress", String(progressEvery)];
      if (dumpFile) args.push("--dump-json", `${dumpFile}.part${k}`);
      const child = fork(fileURLToPath(import.meta.url), args, { stdio: ["ignore", "ignore", "inherit", "ipc"] });
      children.push(
        new Promise((resolve, reject) => {
          child.on("exit", (code, sig) => (code === 0 ? resolve() : reject(new Error(`worker ${k} (${a}..${b}) exited with ${code ?? sig}`))));
          child.on("error", reject);
        }),
      );
    }
  }

  const t0 = performance.now();
  const labels = new Array(total + 1);
  const landmarks = new Array(total + 1);
  const dump = [];
  let written = 0;
  const tag = isWorker ? `[${start}..${end}] ` : "";
  const first = writeLists ? 1 : start;
  const last = writeLists ? total : end;
  for (let i = first; i <= last; i++) {
    const inRange = i >= start && i <= end;
    const r = makeFace(seed, i);
    labels[i] = r.labels;
    landmarks[i] = landmarksOf(r.face, size);
    if (inRange && renderHere) {
      fs.writeFileSync(path.join(imgDir, fileName(i)), rasterise(r.svg, size));
      written++;
      if (written % progressEvery === 0) {
        const s = (performance.now() - t0) / 1000;
        process.stderr.write(`${tag}${written}/${end - start + 1} images, ${(written / s).toFixed(1)} faces/s\n`);
      }
    }
    if (inRange && dumpFile && renderHere) {
      dump.push({ index: i, file: fileName(i), partition: i <= count ? 0 : 2, gender: r.gender,
        background: r.background, face: r.face, labels: r.labels });
    }
  }

  try {
    await Promise.all(children);
  } catch (e) {
    die(e.message, 1);
  }
  const secs = (performance.now() - t0) / 1000;

  if (dumpFile) {
    let faces = dump;
    if (children.length) {
      faces = [];
      for (let k = 0; k < children.length; k++) {
        const part = `${dumpFile}.part${k}`;
        faces.push(...JSON.parse(fs.readFileSync(part, "utf8")).faces);
        fs.unlinkSync(part);
      }
    }
    writeAtomic(dumpFile, JSON.stringify({ seed, attributes: ATTRIBUTES, faces }, null, 1) + "\n");
  }

  if (!writeLists) {
    if (!isWorker) process.stderr.write(`${end - start + 1} images in ${secs.toFixed(1)} s\n`);
    return;
  }

  const attrLines = [String(total), ATTRIBUTES.join(" ")];
  const markLines = [String(total), LANDMARK_NAMES.join(" ")];
  const partLines = [];
  for (let i = 1; i <= total; i++) {
    attrLines.push(`${fileName(i)} ${ATTRIBUTES.map((a) => String(labels[i][a]).padStart(2)).join(" ")}`);
    partLines.push(`${fileName(i)} ${i <= count ? 0 : 2}`);
    markLines.push(`${fileName(i)} ${landmarks[i].map((v) => v.toFixed(2)).join(" ")}`);
  }
  const train = labels.slice(1, count + 1);
  const test = labels.slice(count + 1, total + 1);
  const trainRates = rates(train);
  const meta = {
    generator: "GlowLab tools/faces/generate.mjs",
    format: 1,
    seed,
    count,
    testCount,
    total,
    size,
    viewBox: VIEWBOX,
    attributes: ATTRIBUTES,
    sampler: SAMPLER,
    versions: { facesjs: packageVersion("facesjs"), "@resvg/resvg-js": packageVersion("@resvg/resvg-js"), node: process.version },
    positiveRates: { train: trainRates, ...(testCount ? { test: rates(test) } : {}) },
  };
  writeAtomic(path.join(out, "list_attr_celeba.txt"), attrLines.join("\n") + "\n");
  writeAtomic(path.join(out, "list_eval_partition.txt"), partLines.join("\n") + "\n");
  writeAtomic(path.join(out, "list_landmarks_align_celeba.txt"), markLines.join("\n") + "\n");
  writeAtomic(path.join(out, "generator.json"), JSON.stringify(meta, null, 2) + "\n");

  const nImages = end - start + 1;
  process.stderr.write(`${nImages} images (${start}..${end} of ${total}) in ${secs.toFixed(1)} s, ` +
    `${(nImages / secs).toFixed(1)} faces/s, ${workers} worker(s)\n`);
  process.stdout.write(JSON.stringify(trainRates, null, 2) + "\n");
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await main();
}
