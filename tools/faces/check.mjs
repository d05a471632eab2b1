#!/usr/bin/env node
// Self-test of tools/faces/generate.mjs (node's own test runner; about 10 s on one core):
//   node --test tools/faces/check.mjs      or      node tools/faces/check.mjs
// It runs the generator as a separate process, as GlowLab's C++ tests do, and checks:
// determinism (two runs, --workers 2 and --start/--end give the same bytes), the CelebA file formats,
// the PNGs (8-bit RGB, the size asked for, the pixels resvg rendered), the labels against the rules of
// docs/faces-generator.md (re-implemented here from the doc's table, not imported), and that every
// attribute is 15-85% positive on 400 faces.

import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import zlib from "node:zlib";
import { fileURLToPath } from "node:url";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const GEN = path.join(HERE, "generate.mjs");
const TMP = fs.mkdtempSync(path.join(os.tmpdir(), "glowlab-faces-check-"));
process.on("exit", () => fs.rmSync(TMP, { recursive: true, force: true }));

const ATTRIBUTES = ["Bald", "Big_Nose", "Black_Hair", "Blond_Hair", "Brown_Hair", "Chubby", "Eyeglasses", "Gray_Hair",
  "Male", "Mouth_Slightly_Open", "No_Beard", "Pale_Skin", "Smiling", "Wearing_Hat"];

function run(args) {
  return execFileSync(process.execPath, [GEN, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

function gen(name, args) {
  const dir = path.join(TMP, name);
  const stdout = run(["--out", dir, ...args]);
  return { dir, stdout };
}

function listFiles(dir, base = dir) {
  const out = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...listFiles(p, base));
    else out.push(path.relative(base, p));
  }
  return out.sort();
}

function assertSameTree(a, b, only) {
  const fa = listFiles(a).filter((f) => !only || only(f));
  const fb = listFiles(b).filter((f) => !only || only(f));
  assert.deepEqual(fa, fb);
  for (const f of fa) assert.ok(fs.readFileSync(path.join(a, f)).equals(fs.readFileSync(path.join(b, f))), `${f} differs`);
}

// A minimal PNG decoder (8-bit RGB / RGBA, no interlace), to check what generate.mjs writes.
function decodePng(buf) {
  assert.ok(buf.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])), "PNG signature");
  let pos = 8;
  let ihdr;
  const idat = [];
  while (pos < buf.length) {
    const len = buf.readUInt32BE(pos);
    const type = buf.toString("ascii", pos + 4, pos + 8);
    const data = buf.subarray(pos + 8, pos + 8 + len);
    if (type === "IHDR") ihdr = { width: data.readUInt32BE(0), height: data.readUInt32BE(4), depth: data[8], colorType: data[9], interlace: data[12] };
    if (type === "IDAT") idat.push(data);
    pos += 12 + len;
    if (type === "IEND") break;
  }
  const bpp = ihdr.colorType === 2 ? 3 : 4;
  const stride = ihdr.width * bpp;
  const raw = zlib.inflateSync(Buffer.concat(idat));
  const px = Buffer.alloc(stride * ihdr.height);
  for (let y = 0; y < ihdr.height; y++) {
    const f = raw[y * (stride + 1)];
    for (let i = 0; i < stride; i++) {
      const x = raw[y * (stride + 1) + 1 + i];
      const a = i >= bpp ? px[y * stride + i - bpp] : 0;
      const b = y > 0 ? px[(y - 1) * stride + i] : 0;
      const c = y > 0 && i >= bpp ? px[(y - 1) * stride + i - bpp] : 0;
      let pred = 0;
      if (f === 1) pred = a;
      else if (f === 2) pred = b;
      else if (f === 3) pred = (a + b) >> 1;
      else if (f === 4) {
        const p = a + b - c;
        const pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
        pred = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      } else assert.equal(f, 0, "PNG filter type");
      px[y * stride + i] = (x + pred) & 0xff;
    }
  }
  return { ...ihdr, pixels: px };
}

function parseAttr(text) {
  const lines = text.split("\n");
  assert.equal(lines.at(-1), "", "ends with a newline");
  lines.pop();
  const n = Number(lines[0]);
  assert.ok(/^\d+$/.test(lines[0]), "line 1 is the count");
  assert.deepEqual(lines[1].split(" "), ATTRIBUTES, "line 2 names the 14 attributes");
  const rows = lines.slice(2);
  assert.equal(rows.length, n);
  return rows.map((line, k) => {
    const m = line.match(/^(\d{6}\.png)((?: [ -]1){14})$/);
    assert.ok(m, `malformed line ${k + 3}: '${line}'`);
    assert.equal(m[1], `${String(k + 1).padStart(6, "0")}.png`);
    const values = m[2].match(/.{3}/g).map((v) => Number(v.trim()));
    return { file: m[1], labels: Object.fromEntries(ATTRIBUTES.map((a, i) => [a, values[i]])) };
  });
}

// The rules of docs/faces-generator.md, written from the doc's table.
function documentedLabels(face) {
  const lc = (s) => String(s).toLowerCase();
  const hat = ["hat", "hat2", "hat3", "santa-hat"].includes(face.accessories.id);
  const colourVisible = !["none", "bald", "short-fade", "short-fade-2"].includes(face.hair.id) || face.hairBg.id !== "none";
  const c = colourVisible ? lc(face.hair.color) : null;
  const r = {
    Bald: !hat && ["bald", "short-bald"].includes(face.hair.id),
    Big_Nose: face.nose.size >= 1.0,
    Black_Hair: ["#272421", "#0f0902", "#1c1008", "#2c1608"].includes(c),
    Blond_Hair: ["#e9c67b", "#d7bf91"].includes(c),
    Brown_Hair: ["#3d2314", "#5a3825", "#cc9966"].includes(c),
    Chubby: face.fatness >= 0.75,
    Eyeglasses: face.glasses.id.startsWith("glasses"),
    Gray_Hair: ["#9e9e9e", "#bdbdbd", "#d9d9d9"].includes(c),
    Male: face.gender === "male",
    Mouth_Slightly_Open: ["angry", "mouth", "mouth2", "mouth3", "mouth4", "mouth7", "mouth8", "smile", "smile2", "smile3"].includes(face.mouth.id),
    No_Beard: ["none", "sideburns1", "sideburns2", "sideburns3"].includes(face.facialHair.id),
    Pale_Skin: ["#f2d6cb", "#fedac7"].includes(lc(face.body.color)),
    Smiling: ["smile-closed", "smile", "smile2", "smile3", "smile4"].includes(face.mouth.id),
    Wearing_Hat: hat,
  };
  return Object.fromEntries(ATTRIBUTES.map((a) => [a, r[a] ? 1 : -1]));
}

const COUNT = 40;
const TEST_COUNT = 5;
let A;

test("the generator writes a CelebA folder", () => {
  A = gen("a", ["--count", String(COUNT), "--test-count", String(TEST_COUNT), "--seed", "7", "--dump-json", path.join(TMP, "a.json")]);
  const files = listFiles(A.dir);
  assert.equal(files.filter((f) => f.startsWith("img_align_celeba/")).length, COUNT + TEST_COUNT);
  for (const f of ["list_attr_celeba.txt", "list_eval_partition.txt", "generator.json"]) assert.ok(files.includes(f), f);
  const rates = JSON.parse(A.stdout);
  assert.deepEqual(Object.keys(rates), ATTRIBUTES);
  const meta = JSON.parse(fs.readFileSync(path.join(A.dir, "generator.json"), "utf8"));
  assert.equal(meta.seed, 7);
  assert.equal(meta.count, COUNT);
  assert.equal(meta.testCount, TEST_COUNT);
  assert.equal(meta.size, 64);
  assert.equal(meta.versions.facesjs, "5.0.3");
  assert.equal(meta.versions["@resvg/resvg-js"], "2.6.2");
  assert.deepEqual(meta.positiveRates.train, rates);
});

test("same seed, same bytes (one process, two workers, and a --start/--end range)", () => {
  const B = gen("b", ["--count", String(COUNT), "--test-count", String(TEST_COUNT), "--seed", "7", "--dump-json", path.join(TMP, "b.json")]);
  assertSameTree(A.dir, B.dir);
  assert.ok(fs.readFileSync(path.join(TMP, "a.json")).equals(fs.readFileSync(path.join(TMP, "b.json"))));
  const W = gen("w", ["--count", String(COUNT), "--test-count", String(TEST_COUNT), "--seed", "7", "--workers", "2", "--dump-json", path.join(TMP, "w.json")]);
  assertSameTree(A.dir, W.dir);
  assert.ok(fs.readFileSync(path.join(TMP, "a.json")).equals(fs.readFileSync(path.join(TMP, "w.json"))));
  const R = gen("r", ["--count", String(COUNT), "--test-count", String(TEST_COUNT), "--seed", "7", "--start", "11", "--end", "20"]);
  const images = listFiles(R.dir).filter((f) => f.startsWith("img_align_celeba/"));
  assert.equal(images.length, 10);
  assert.equal(images[0], "img_align_celeba/000011.png");
  assertSameTree(A.dir, R.dir, (f) => !f.startsWith("img_align_celeba/") || (f >= "img_align_celeba/000011" && f < "img_align_celeba/000021"));
  const C = gen("c", ["--count", String(COUNT), "--seed", "8"]);
  assert.ok(!fs.readFileSync(path.join(A.dir, "img_align_celeba/000001.png")).equals(fs.readFileSync(path.join(C.dir, "img_align_celeba/000001.png"))), "another seed, another face");
});

test("label and partition files have CelebA's format", () => {
  const rows = parseAttr(fs.readFileSync(path.join(A.dir, "list_attr_celeba.txt"), "utf8"));
  assert.equal(rows.length, COUNT + TEST_COUNT);
  const part = fs.readFileSync(path.join(A.dir, "list_eval_partition.txt"), "utf8").trimEnd().split("\n");
  assert.equal(part.length, COUNT + TEST_COUNT);
  part.forEach((line, k) => assert.equal(line, `${String(k + 1).padStart(6, "0")}.png ${k < COUNT ? 0 : 2}`));
});

test("images are opaque 8-bit RGB PNGs of the size asked for", async () => {
  const { Resvg } = await import("@resvg/resvg-js");
  for (const i of [1, 2, 3, 17, 45]) {
    const png = decodePng(fs.readFileSync(path.join(A.dir, "img_align_celeba", `${String(i).padStart(6, "0")}.png`)));
    assert.equal(png.width, 64);
    assert.equal(png.height, 64);
    assert.equal(png.depth, 8);
    assert.equal(png.colorType, 2, "RGB");
    assert.equal(png.interlace, 0);
    // The pixels are resvg's rendering of the face's SVG (from --explain --svg).
    const svgFile = path.join(TMP, `f${i}.svg`);
    run(["--explain", String(i), "--seed", "7", "--svg", svgFile]);
    const img = new Resvg(fs.readFileSync(svgFile, "utf8"), { fitTo: { mode: "width", value: 64 }, font: { loadSystemFonts: false } }).render();
    const rgba = img.pixels;
    for (let p = 0; p < 64 * 64; p++) {
      assert.equal(rgba[p * 4 + 3], 255, "opaque");
      for (let ch = 0; ch < 3; ch++) assert.equal(png.pixels[p * 3 + ch], rgba[p * 4 + ch]);
    }
    // The background is not one flat colour for all faces, and the face is not empty.
    const distinct = new Set();
    for (let p = 0; p < 64 * 64; p++) distinct.add(png.pixels.readUIntBE(p * 3, 3));
    assert.ok(distinct.size > 50, `image ${i} has only ${distinct.size} colours`);
  }
  const big = path.join(TMP, "big.png");
  run(["--explain", "1", "--seed", "7", "--size", "128", "--png", big]);
  const png = decodePng(fs.readFileSync(big));
  assert.equal(png.width, 128);
  assert.equal(png.height, 128);
});

test("labels follow the documented rules (dumped face objects)", () => {
  const dump = JSON.parse(fs.readFileSync(path.join(TMP, "a.json"), "utf8"));
  assert.deepEqual(dump.attributes, ATTRIBUTES);
  const rows = parseAttr(fs.readFileSync(path.join(A.dir, "list_attr_celeba.txt"), "utf8"));
  assert.equal(dump.faces.length, rows.length);
  dump.faces.forEach((rec, k) => {
    assert.equal(rec.index, k + 1);
    assert.equal(rec.file, rows[k].file);
    assert.equal(rec.face.gender, rec.gender);
    assert.deepEqual(documentedLabels(rec.face), rows[k].labels, `labels of ${rec.file}`);
    assert.deepEqual(rec.labels, rows[k].labels);
  });
  const one = JSON.parse(run(["--explain", "5", "--seed", "7"]));
  assert.deepEqual(one.face, dump.faces[4].face);
  assert.deepEqual(one.labels, rows[4].labels);
});

test("every attribute is 15-85% positive on 400 faces", () => {
  const D = gen("d", ["--count", "400", "--seed", "7", "--progress", "1000000"]);
  const rates = JSON.parse(D.stdout);
  const rows = parseAttr(fs.readFileSync(path.join(D.dir, "list_attr_celeba.txt"), "utf8"));
  for (const a of ATTRIBUTES) {
    const r = rows.filter((x) => x.labels[a] === 1).length / rows.length;
    assert.ok(Math.abs(r - rates[a]) < 1e-4, `${a}: printed ${rates[a]}, counted ${r}`);
    assert.ok(r >= 0.15 && r <= 0.85, `${a} is ${(100 * r).toFixed(1)}% positive`);
  }
});

test("bad arguments fail with a message", () => {
  for (const args of [["--count", "3"], ["--out", path.join(TMP, "x")], ["--out", path.join(TMP, "x"), "--count", "-1"], ["--bogus", "1"]]) {
    assert.throws(() => run(args), (e) => e.status === 2 && /generate\.mjs: /.test(e.stderr));
  }
});
