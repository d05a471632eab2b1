#!/usr/bin/env python3
"""Regenerates the fuzz seed corpora under tests/fuzz/corpus/<target>/ (Python 3 standard library).

usage: tests/fuzz/make_seeds.py [BUILD_DIR]   (default: build)

The model and the JPEG/WebP seeds come from BUILD_DIR/app/cli/glowlab-cli (a 4x4 grey model,
`init`, and its samples written by OpenCV's encoders); everything else is written here. Files named
regression-* are inputs that once found a bug: they are kept, never rewritten.
"""
import gzip
import json
import os
import struct
import subprocess
import sys
import tempfile
import zlib

ROOT = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(ROOT, "corpus")


def put(target, name, data):
    folder = os.path.join(CORPUS, target)
    os.makedirs(folder, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)


def clear(target):
    folder = os.path.join(CORPUS, target)
    if os.path.isdir(folder):
        for name in os.listdir(folder):
            if not name.startswith("regression-"):
                os.remove(os.path.join(folder, name))


# --- safetensors -------------------------------------------------------------------------------
def safetensors(header, data=b""):
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    return struct.pack("<Q", len(text)) + text + data


def split_safetensors(blob):
    n = struct.unpack("<Q", blob[:8])[0]
    return json.loads(blob[8:8 + n]), blob[8 + n:]


def safetensors_seeds():
    t = "fuzz_safetensors"
    f32 = struct.pack("<4f", 1, 2, 3, 4)
    f64 = struct.pack("<2d", 0.5, -0.5)
    put(t, "two-tensors.safetensors", safetensors(
        {"__metadata__": {"format": "x"}, "a": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 16]},
         "b": {"dtype": "F64", "shape": [2], "data_offsets": [16, 32]}}, f32 + f64))
    put(t, "empty-tensor.safetensors", safetensors({"e": {"dtype": "F32", "shape": [0, 3], "data_offsets": [0, 0]}}))
    put(t, "scalar.safetensors", safetensors({"s": {"dtype": "F32", "shape": [], "data_offsets": [0, 4]}}, f32[:4]))
    put(t, "bad-overlap.safetensors", safetensors(
        {"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
         "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}}, f32))
    put(t, "bad-offsets.safetensors", safetensors({"a": {"dtype": "F32", "shape": [4], "data_offsets": [0, 64]}}, f32))
    put(t, "bad-dtype.safetensors", safetensors({"a": {"dtype": "I8", "shape": [4], "data_offsets": [0, 4]}}, f32))
    put(t, "bad-nan.safetensors", safetensors({"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}},
                                               struct.pack("<f", float("nan"))))
    put(t, "bad-integrity.safetensors", safetensors(
        {"__metadata__": {"integrity": "{\"sha256_data\":\"00\",\"sha256_header\":\"00\"}"},
         "a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}, f32[:4]))
    put(t, "bad-header-length.safetensors", struct.pack("<Q", 1 << 40) + b"{}")
    put(t, "bad-json.safetensors", struct.pack("<Q", 6) + b"{\"a\":[")


# --- the .glow model (needs glowlab-cli) ------------------------------------------------------
def model_seeds(cli, scratch):
    path = os.path.join(scratch, "tiny.glow")
    subprocess.run([cli, "init", "-o", path, "--image-size", "4", "--channels", "1", "-L", "1", "-K", "1",
                    "--width", "2", "--seed", "1"], check=True, stdout=subprocess.DEVNULL)
    blob = open(path, "rb").read()
    put("fuzz_model", "tiny-checksummed.glow", blob)
    put("fuzz_safetensors", "tiny-model.glow", blob)
    header, data = split_safetensors(blob)
    header["__metadata__"].pop("integrity", None)
    put("fuzz_model", "tiny-no-checksum.glow", safetensors(header, data))
    # Two attributes with their directions (4x4x1: 16 values each) and a framing.
    dirs = b""
    for i, name in enumerate(["Smiling", "Male"]):
        header["direction." + name] = {"dtype": "F32", "shape": [16],
                                       "data_offsets": [len(data) + len(dirs), len(data) + len(dirs) + 64]}
        dirs += struct.pack("<16f", *([0.25 * (i + 1)] * 16))
    header["__metadata__"]["attributes"] = json.dumps(
        [{"name": "Smiling", "positives": 3, "negatives": 4, "recommended_range": [-1.5, 1.5]}, {"name": "Male"}])
    header["__metadata__"]["framing"] = json.dumps([0.3, 0.4, 0.7, 0.4, 0.5, 0.55, 0.35, 0.75, 0.65, 0.75])
    put("fuzz_model", "tiny-attributes-framing.glow", safetensors(header, data + dirs))
    bad = json.loads(json.dumps(header))
    bad["__metadata__"]["framing"] = "[0.3, 2]"
    put("fuzz_model", "bad-framing.glow", safetensors(bad, data + dirs))
    bad = json.loads(json.dumps(header))
    bad["__metadata__"]["config"] = bad["__metadata__"]["config"].replace('"width":2', '"width":4096')
    put("fuzz_model", "bad-config-too-large.glow", safetensors(bad, data + dirs))
    bad = json.loads(json.dumps(header))
    bad["__metadata__"]["format"] = "glowlab.bundle/9"
    put("fuzz_model", "bad-format.glow", safetensors(bad, data + dirs))
    return path


# --- config JSON -------------------------------------------------------------------------------
def config_seeds():
    t = "fuzz_config"
    put(t, "default.json", '{"image_size":64,"channels":3,"levels":3,"steps":8,"width":128,"coupling":"affine",'
                           '"permutation":"lu","n_bits":8,"learn_top":true}')
    put(t, "small-additive.json", '{"image_size":8,"channels":1,"levels":2,"steps":1,"width":4,'
                                  '"coupling":"additive","permutation":"reverse","n_bits":5,"learn_top":false,"scale_min":0.5}')
    put(t, "plain.json", '{"permutation":"plain","scale_min":0.25}')
    put(t, "empty-object.json", "{}")
    put(t, "bad-unknown-field.json", '{"image_size":64,"depth":3}')
    put(t, "bad-type.json", '{"levels":"three"}')
    put(t, "bad-range.json", '{"image_size":60,"levels":3}')
    put(t, "bad-huge.json", '{"width":99999999999,"scale_min":1e308}')
    put(t, "bad-not-object.json", "[1,2,3]")
    put(t, "bad-truncated.json", '{"image_size":6')


# --- CelebA lists ------------------------------------------------------------------------------
def celeba_seeds():
    names = ["5_o_Clock_Shadow", "Male", "Smiling"]
    rows = ["000001.jpg  -1  1  1", "000002.jpg  1 -1 -1", "000003.jpg -1 -1  1"]
    t = "fuzz_celeba_attributes"
    put(t, "three-rows.txt", "3\n" + " ".join(names) + "\n" + "\n".join(rows) + "\n")
    put(t, "crlf.txt", "2\r\n" + " ".join(names) + "\r\n" + "\r\n".join(rows[:2]) + "\r\n")
    put(t, "bad-count.txt", "5\n" + " ".join(names) + "\n" + "\n".join(rows) + "\n")
    put(t, "bad-value.txt", "1\nMale Smiling\n000001.jpg 1 0\n")
    put(t, "bad-fields.txt", "1\nMale Smiling\n000001.jpg 1\n")
    put(t, "bad-header.txt", "x\n")
    t = "fuzz_celeba_partition"
    put(t, "three-rows.txt", "000001.jpg 0\n000002.jpg 1\n000003.jpg 2\n")
    put(t, "blank-lines.txt", "\n000001.jpg 0\n\n000002.jpg 2\r\n")
    put(t, "bad-part.txt", "000001.jpg 3\n")
    put(t, "bad-fields.txt", "000001.jpg 0 1\n")
    t = "fuzz_celeba_landmarks"
    cols = "lefteye_x lefteye_y righteye_x righteye_y nose_x nose_y leftmouth_x leftmouth_y rightmouth_x rightmouth_y"
    lm = ["000001.jpg 69 109 106 113 77 142 73 152 108 154", "000002.jpg 69.5 110 107 112 81 135 70 151 108 153"]
    put(t, "two-rows.txt", "2\n" + cols + "\n" + "\n".join(lm) + "\n")
    put(t, "bad-number.txt", "1\n" + cols + "\n000001.jpg 69 109 106 113 77 142 73 152 108 1e999\n")
    put(t, "bad-columns.txt", "1\nlefteye_x lefteye_y\n000001.jpg 1 2\n")
    put(t, "bad-nan.txt", "1\n" + cols + "\n000001.jpg nan 109 106 113 77 142 73 152 108 154\n")


# --- Fashion-MNIST IDX -------------------------------------------------------------------------
def idx_seeds():
    t = "fuzz_idx"
    labels = struct.pack(">II", 2049, 4) + bytes([0, 9, 3, 7])
    images = struct.pack(">IIII", 2051, 2, 28, 28) + bytes((i * 7) % 256 for i in range(2 * 784))
    put(t, "labels.idx1", labels)
    put(t, "labels.idx1.gz", gzip.compress(labels, mtime=0))
    put(t, "images.idx3", images)
    put(t, "images.idx3.gz", gzip.compress(images, mtime=0))
    put(t, "labels-two-members.gz", gzip.compress(labels[:6], mtime=0) + gzip.compress(labels[6:], mtime=0))
    put(t, "bad-label-above-9.idx1", struct.pack(">II", 2049, 1) + b"\x0a")
    put(t, "bad-magic.idx", struct.pack(">II", 1234, 0))
    put(t, "bad-size.idx3", struct.pack(">IIII", 2051, 3, 28, 28) + bytes(784))
    put(t, "bad-rows.idx3", struct.pack(">IIII", 2051, 1, 27, 28) + bytes(756))
    put(t, "bad-truncated.gz", gzip.compress(images, mtime=0)[:200])


# --- images ------------------------------------------------------------------------------------
def png(width, height, channels, pixels):
    color = {1: 0, 3: 2}[channels]
    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    raw = b"".join(b"\x00" + pixels[y * width * channels:(y + 1) * width * channels] for y in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, color, 0, 0, 0)) +
            chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def bmp(width, height, pixels):  # 24-bit, bottom-up, rows padded to 4 bytes
    row = (width * 3 + 3) // 4 * 4
    body = b"".join(bytes(pixels[(height - 1 - y) * width * 3:(height - y) * width * 3][::-1]) .ljust(row, b"\0")
                    for y in range(height))
    header = struct.pack("<2sIHHI", b"BM", 54 + len(body), 0, 0, 54)
    info = struct.pack("<IiiHHIIiiII", 40, width, height, 1, 24, 0, len(body), 2835, 2835, 0, 0)
    return header + info + body


def image_seeds(cli, model, scratch):
    t = "fuzz_image"
    rgb = bytes((x * 40 + y * 3 + c * 90) % 256 for y in range(6) for x in range(5) for c in range(3))
    grey = bytes((x * 50 + y * 20) % 256 for y in range(6) for x in range(5))
    put(t, "rgb-5x6.png", png(5, 6, 3, rgb))
    put(t, "grey-5x6.png", png(5, 6, 1, grey))
    put(t, "rgb-5x6.bmp", bmp(5, 6, rgb))
    put(t, "rgb-5x6.ppm", b"P6\n5 6\n255\n" + rgb)
    put(t, "grey-5x6.pgm", b"P5\n# a comment\n5 6\n255\n" + grey)
    put(t, "ascii-2x2.ppm", b"P3\n2 2\n255\n255 0 0 0 255 0 0 0 255 255 255 255\n")
    put(t, "bad-pixel-bomb.png", png(1, 1, 1, b"\0")[:16] + struct.pack(">II", 100000, 100000) + png(1, 1, 1, b"\0")[24:])
    put(t, "bad-truncated.png", png(5, 6, 3, rgb)[:60])
    put(t, "bad-zero-size.ppm", b"P6\n0 6\n255\n")
    put(t, "bad-truncated.ppm", b"P6\n5 6\n255\n" + rgb[:20])
    put(t, "bad-not-an-image.txt", b"hello")
    if cli and model:
        for ext in (".jpg", ".webp"):
            out = os.path.join(scratch, "sample" + ext)
            subprocess.run([cli, "sample", "-m", model, "-n", "1", "--seed", "1", "-o", out], check=True,
                           stdout=subprocess.DEVNULL)
            blob = open(out, "rb").read()
            put(t, "sample-4x4" + ext, blob)
            put(t, "bad-truncated" + ext, blob[:len(blob) // 2])


def main():
    build = sys.argv[1] if len(sys.argv) > 1 else "build"
    cli = os.path.join(build, "app", "cli", "glowlab-cli")
    if not os.access(cli, os.X_OK):
        sys.exit(f"error: {cli} not found: build the project first (the model, JPEG and WebP seeds need it)")
    for target in ("fuzz_safetensors", "fuzz_model", "fuzz_config", "fuzz_celeba_attributes",
                   "fuzz_celeba_partition", "fuzz_celeba_landmarks", "fuzz_idx", "fuzz_image"):
        clear(target)
    with tempfile.TemporaryDirectory() as scratch:
        safetensors_seeds()
        model = model_seeds(cli, scratch)
        config_seeds()
        celeba_seeds()
        idx_seeds()
        image_seeds(cli, model, scratch)
    print("seeds written under", CORPUS)


if __name__ == "__main__":
    main()
