"""Unpacks the training crops that tools/gpu/celeba64.sh prepare packed (lossless WebP mosaics of
64-px tiles, row by row, and a count per mosaic) into a folder of PPM files, the images a build
without OpenCV reads. Pillow only (the GPU machine's Python has it).

    python3 tools/gpu/unpack_crops.py PACKED_DIR OUT_DIR
"""
import json
import os
import sys

from PIL import Image


def main():
    if len(sys.argv) != 3:
        print("usage: python3 tools/gpu/unpack_crops.py PACKED_DIR OUT_DIR", file=sys.stderr)
        return 2
    packed, out = sys.argv[1], sys.argv[2]
    index_path = os.path.join(packed, "index.json")
    try:
        with open(index_path) as f:
            index = json.load(f)
    except (OSError, ValueError) as e:
        print(f"{index_path}: cannot read the packed crops' index ({e})", file=sys.stderr)
        return 1
    os.makedirs(out, exist_ok=True)
    side, written = index["tile"], 0
    for part in index["mosaics"]:
        path = os.path.join(packed, part["file"])
        mosaic = Image.open(path).convert("RGB")
        cols = mosaic.width // side
        if cols * side != mosaic.width or part["count"] > cols * (mosaic.height // side):
            print(f"{path}: {mosaic.width}x{mosaic.height} holds no {part['count']} tiles of {side} px", file=sys.stderr)
            return 1
        for k in range(part["count"]):
            x, y = (k % cols) * side, (k // cols) * side
            mosaic.crop((x, y, x + side, y + side)).save(os.path.join(out, f"{part['file']}-{k:05d}.ppm"))
            written += 1
    print(f"{written} crops unpacked into {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
