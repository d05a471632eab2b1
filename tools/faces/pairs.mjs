#!/usr/bin/env node
// Before/after sheet: each pair of images side by side on its own row, scaled to one height.
//
//   node tools/faces/pairs.mjs --out sheet.png [--height 240] BEFORE1 AFTER1 [BEFORE2 AFTER2 ...]

import fs from "node:fs";
import path from "node:path";
import { Resvg } from "@resvg/resvg-js";
import { imageSize } from "./image-size.mjs";

const USAGE = "usage: node tools/faces/pairs.mjs --out FILE.png [--height 240] BEFORE AFTER [BEFORE AFTER ...]\n";
const args = process.argv.slice(2);
let out, height = 240;
const files = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === "--out") out = args[++i];
  else if (args[i] === "--height") height = Number(args[++i]);
  else files.push(args[i]);
}
if (!out || files.length === 0 || files.length % 2 || !(height > 0)) {
  process.stderr.write(USAGE);
  process.exit(2);
}
const pad = 8;
let y = pad, width = 0;
const parts = [];
for (let i = 0; i < files.length; i += 2) {
  let x = pad;
  for (const f of [files[i], files[i + 1]]) {
    const bytes = fs.readFileSync(f);
    const { width: w, height: h } = imageSize(bytes, f);
    const sw = Math.round((w * height) / h);
    const mime = path.extname(f).toLowerCase() === ".png" ? "image/png" : "image/jpeg";
    parts.push(`<image x="${x}" y="${y}" width="${sw}" height="${height}" href="data:${mime};base64,${bytes.toString("base64")}"/>`);
    x += sw + pad;
  }
  width = Math.max(width, x);
  y += height + pad;
}
const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${y}"><rect width="100%" height="100%" fill="white"/>${parts.join("")}</svg>`;
const tmp = `${out}.tmp-${process.pid}`;
fs.writeFileSync(tmp, new Resvg(svg).render().asPng());
fs.renameSync(tmp, out);
