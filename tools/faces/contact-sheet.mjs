#!/usr/bin/env node
// Contact sheet of a CelebA-layout folder (made by generate.mjs or the real CelebA), for looking at it.
//
//   node tools/faces/contact-sheet.mjs DIR --out sheet.png [--from 1] [--count 48] [--cols 8] [--cell 128] [--labels]
//
// --labels writes the positive attributes of each image (from list_attr_celeba.txt) under it, abbreviated.

import fs from "node:fs";
import path from "node:path";
import { Resvg } from "@resvg/resvg-js";

const USAGE = "usage: node tools/faces/contact-sheet.mjs DIR --out FILE.png [--from 1] [--count 48] [--cols 8] [--cell 128] [--labels]\n";
const args = process.argv.slice(2);
const o = { "--from": "1", "--count": "48", "--cols": "8", "--cell": "128" };
let dir;
for (let i = 0; i < args.length; i++) {
  if (args[i] === "--labels") o.labels = true;
  else if (args[i].startsWith("--")) o[args[i]] = args[++i];
  else dir = args[i];
}
if (!dir || !o["--out"]) {
  process.stderr.write(USAGE);
  process.exit(2);
}
const from = Number(o["--from"]);
const count = Number(o["--count"]);
const cols = Number(o["--cols"]);
const cell = Number(o["--cell"]);

const SHORT = {
  Bald: "bald", Big_Nose: "nose", Black_Hair: "black", Blond_Hair: "blond", Brown_Hair: "brown", Chubby: "chub",
  Eyeglasses: "glasses", Gray_Hair: "gray", Male: "M", Mouth_Slightly_Open: "open", No_Beard: "", Pale_Skin: "pale",
  Smiling: "smile", Wearing_Hat: "hat",
};
let attrs = null;
if (o.labels) {
  const lines = fs.readFileSync(path.join(dir, "list_attr_celeba.txt"), "utf8").split(/\r?\n/);
  const names = lines[1].trim().split(/\s+/);
  attrs = new Map();
  for (const line of lines.slice(2)) {
    const w = line.trim().split(/\s+/);
    if (w.length !== names.length + 1) continue;
    const tags = [];
    names.forEach((n, k) => {
      if (n === "No_Beard") {
        if (w[k + 1] === "-1") tags.push("beard");
      } else if (w[k + 1] === "1") tags.push(SHORT[n] ?? n);
    });
    attrs.set(w[0], tags);
  }
}

const files = [];
for (let i = from; i < from + count; i++) {
  const base = String(i).padStart(6, "0");
  const f = [".png", ".jpg"].map((e) => path.join(dir, "img_align_celeba", base + e)).find((p) => fs.existsSync(p));
  if (f) files.push(f);
}
if (!files.length) {
  process.stderr.write(`no images ${from}..${from + count - 1} in ${dir}/img_align_celeba\n`);
  process.exit(1);
}
const textH = o.labels ? 34 : 0;
const rows = Math.ceil(files.length / cols);
const W = cols * cell;
const H = rows * (cell + textH);
const esc = (s) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;");
let svg = `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="${W}" height="${H}">`;
svg += `<rect width="${W}" height="${H}" fill="#ffffff"/>`;
files.forEach((f, k) => {
  const x = (k % cols) * cell;
  const y = Math.floor(k / cols) * (cell + textH);
  const mime = f.endsWith(".png") ? "image/png" : "image/jpeg";
  const data = fs.readFileSync(f).toString("base64");
  svg += `<image x="${x + 1}" y="${y + 1}" width="${cell - 2}" height="${cell - 2}" image-rendering="optimizeSpeed" preserveAspectRatio="none" xlink:href="data:${mime};base64,${data}"/>`;
  if (attrs) {
    const tags = attrs.get(path.basename(f)) ?? [];
    const half = Math.ceil(tags.length / 2);
    const l1 = `${path.basename(f, path.extname(f))} ${tags.slice(0, half).join(" ")}`;
    const l2 = tags.slice(half).join(" ");
    svg += `<text x="${x + 3}" y="${y + cell + 12}" font-family="DejaVu Sans, sans-serif" font-size="10">${esc(l1)}</text>`;
    svg += `<text x="${x + 3}" y="${y + cell + 26}" font-family="DejaVu Sans, sans-serif" font-size="10">${esc(l2)}</text>`;
  }
});
svg += "</svg>";
fs.writeFileSync(o["--out"], new Resvg(svg, { font: { loadSystemFonts: true, defaultFontFamily: "DejaVu Sans" } }).render().asPng());
process.stderr.write(`${files.length} images -> ${o["--out"]} (${W}x${H})\n`);
