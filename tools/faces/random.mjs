// Seeded randomness for the synthetic face generator (generate.mjs): every face depends only on
// (dataset seed, face index).

// murmur3's 32-bit finaliser: a bijective avalanche mix.
export function fmix32(h) {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

// The per-face seed: a hash of (dataset seed, 1-based face index).
export function faceSeed(seed, index) {
  return fmix32((fmix32((seed ^ 0x9e3779b9) >>> 0) + Math.imul(index, 0x27d4eb2f)) >>> 0);
}

export function mulberry32(a) {
  return function () {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function withRandom(rng, fn) {
  const saved = Math.random;
  Math.random = rng;
  try {
    return fn();
  } finally {
    Math.random = saved;
  }
}

export const round2 = (x) => Math.round(x * 100) / 100;
export const uniform = (rng, a, b) => a + (b - a) * rng();
export const choice = (rng, arr) => arr[Math.floor(rng() * arr.length)];

export function hslHex(h, s, l) {
  // h in [0,360), s and l in [0,1]
  const k = (n) => (n + h / 30) % 12;
  const a = s * Math.min(l, 1 - l);
  const f = (n) => l - a * Math.max(-1, Math.min(k(n) - 3, Math.min(9 - k(n), 1)));
  const hex = (x) => Math.round(x * 255).toString(16).padStart(2, "0");
  return `#${hex(f(0))}${hex(f(8))}${hex(f(4))}`;
}
