#!/usr/bin/python3
"""Test fixtures for glowlab-cli import (tests/test_import.cpp).

Builds tiny Glow checkpoints with random weights in the state_dict layouts of
rosinality/glow-pytorch, y0ast/Glow-PyTorch and chaiyujin/glow-pytorch, as docs/import.md describes them (keys, shapes,
conventions: ones-padded zero-convs, output channel orders, the top priors), and computes each
model's bits/dim on fixed images and its decode of fixed latents with this file's own forward and
reverse passes, in float64. Nothing here comes from those repositories: the layouts are written
from reading them, and the C++ test checks GlowLab against this independent arithmetic.

usage: make_checkpoints.py OUT_DIR
Writes OUT_DIR/NAME.pt (the checkpoint), OUT_DIR/NAME.expect.pt (images, bits/dim, latents,
decoded images), OUT_DIR/NAME.hparams.json for y0ast variants, OUT_DIR/images/*.ppm, and a few
broken files for the error tests.
"""
import json
import math
import os
import sys
from collections import OrderedDict

import torch
import torch.nn.functional as F

SIZE = 16
CHANNELS = 3
N_IMAGES = 4


def rand(g, *shape, std=1.0):
    return torch.randn(*shape, generator=g) * std


def lu_parts(g, c):
    q, _ = torch.linalg.qr(torch.randn(c, c, generator=g, dtype=torch.float64))
    p, l, u = torch.linalg.lu(q)
    s = torch.diagonal(u)
    return p.float(), l.float(), torch.triu(u, 1).float(), s.sign().float(), s.abs().log().float()


def squeeze(x):
    b, c, h, w = x.shape
    return x.reshape(b, c, h // 2, 2, w // 2, 2).permute(0, 1, 3, 5, 2, 4).reshape(b, c * 4, h // 2, w // 2)


def unsqueeze(x):
    b, c, h, w = x.shape
    return x.reshape(b, c // 4, 2, 2, h, w).permute(0, 1, 4, 2, 5, 3).reshape(b, c // 4, h * 2, w * 2)


def log_normal(x, mean, log_sd):
    return (-0.5 * math.log(2 * math.pi) - log_sd - 0.5 * (x - mean) ** 2 * torch.exp(-2 * log_sd)).flatten(1).sum(1)


def centred_input(images, n_bits):
    n_bins = 2 ** n_bits
    bins = torch.floor(images.double() / 2 ** (8 - n_bits))
    return bins / n_bins - 0.5 + 0.5 / n_bins


def bits_per_dim(log_px, n_bits):
    d = CHANNELS * SIZE * SIZE
    return -(log_px - d * math.log(2 ** n_bits)) / (d * math.log(2.0))


# ---- rosinality/glow-pytorch layout -------------------------------------------------------
# blocks.i.flows.k.{actnorm.loc, actnorm.scale, actnorm.initialized,
#                   invconv.{w_p, u_mask, l_mask, s_sign, l_eye, w_l, w_s, w_u} | invconv.weight [C,C,1,1],
#                   coupling.net.{0,2}.{weight,bias}, coupling.net.4.conv.{weight,bias}, coupling.net.4.scale}
# blocks.i.prior.{conv.weight, conv.bias, scale}
# ActNorm y = scale * (x + loc); ZeroConv2d pads with ones; affine (log_s, t) = chunk(2),
# out_b = (in_b + t) * sigmoid(log_s + 2); the top prior is prior(zeros); the last block is LU.

def rosinality_state(g, blocks, flows, width, affine, lu):
    sd = OrderedDict()
    n = CHANNELS
    for i in range(blocks):
        c = n * 4
        last = i == blocks - 1
        for k in range(flows):
            p = f"blocks.{i}.flows.{k}."
            sd[p + "actnorm.loc"] = rand(g, 1, c, 1, 1, std=0.1)
            scale = torch.exp(rand(g, 1, c, 1, 1, std=0.1))
            if i == 0 and k == 0:
                scale[0, 1] = -scale[0, 1]  # a negative scale: GlowLab moves its sign into the 1x1 conv
            sd[p + "actnorm.scale"] = scale
            sd[p + "actnorm.initialized"] = torch.tensor(1, dtype=torch.uint8)
            if lu or last:
                w_p, w_l, w_u, s_sign, w_s = lu_parts(g, c)
                w_l = w_l + rand(g, c, c, std=0.05) * torch.tril(torch.ones(c, c), -1)
                w_u = w_u + rand(g, c, c, std=0.05) * torch.triu(torch.ones(c, c), 1)
                u_mask = torch.triu(torch.ones(c, c), 1)
                sd[p + "invconv.w_p"] = w_p
                sd[p + "invconv.u_mask"] = u_mask
                sd[p + "invconv.l_mask"] = u_mask.T.contiguous()
                sd[p + "invconv.s_sign"] = s_sign
                sd[p + "invconv.l_eye"] = torch.eye(c)
                sd[p + "invconv.w_l"] = w_l
                sd[p + "invconv.w_s"] = w_s + rand(g, c, std=0.1)
                sd[p + "invconv.w_u"] = w_u
            else:
                q, _ = torch.linalg.qr(torch.randn(c, c, generator=g))
                sd[p + "invconv.weight"] = (q + rand(g, c, c, std=0.05)).reshape(c, c, 1, 1)
            out = c if affine else c // 2
            sd[p + "coupling.net.0.weight"] = rand(g, width, c // 2, 3, 3, std=0.2)
            sd[p + "coupling.net.0.bias"] = rand(g, width, std=0.1)
            sd[p + "coupling.net.2.weight"] = rand(g, width, width, 1, 1, std=0.2)
            sd[p + "coupling.net.2.bias"] = rand(g, width, std=0.1)
            sd[p + "coupling.net.4.conv.weight"] = rand(g, out, width, 3, 3, std=0.05)
            sd[p + "coupling.net.4.conv.bias"] = rand(g, out, std=0.05)
            sd[p + "coupling.net.4.scale"] = rand(g, 1, out, 1, 1, std=0.05)
        cin, cout = (c // 2, c) if not last else (c, 2 * c)
        sd[f"blocks.{i}.prior.conv.weight"] = rand(g, cout, cin, 3, 3, std=0.05)
        sd[f"blocks.{i}.prior.conv.bias"] = rand(g, cout, std=0.05)
        sd[f"blocks.{i}.prior.scale"] = rand(g, 1, cout, 1, 1, std=0.05)
        n *= 2
    return sd


class Rosinality:
    def __init__(self, sd, blocks, flows, affine):
        self.sd = {k: v.double() for k, v in sd.items()}
        self.blocks, self.flows, self.affine = blocks, flows, affine

    def zero_conv(self, x, p):
        sd = self.sd
        return F.conv2d(F.pad(x, [1, 1, 1, 1], value=1.0), sd[p + "conv.weight"], sd[p + "conv.bias"]) * torch.exp(sd[p + "scale"] * 3)

    def weight(self, p):
        sd = self.sd
        if p + "invconv.w_p" in sd:
            l = sd[p + "invconv.w_l"] * sd[p + "invconv.l_mask"] + sd[p + "invconv.l_eye"]
            u = sd[p + "invconv.w_u"] * sd[p + "invconv.u_mask"] + torch.diag(sd[p + "invconv.s_sign"] * torch.exp(sd[p + "invconv.w_s"]))
            return sd[p + "invconv.w_p"] @ l @ u, sd[p + "invconv.w_s"].sum()
        w = sd[p + "invconv.weight"].squeeze(3).squeeze(2)
        return w, torch.slogdet(w)[1]

    def net(self, x, p):
        sd = self.sd
        h = F.relu(F.conv2d(x, sd[p + "coupling.net.0.weight"], sd[p + "coupling.net.0.bias"], padding=1))
        h = F.relu(F.conv2d(h, sd[p + "coupling.net.2.weight"], sd[p + "coupling.net.2.bias"]))
        return self.zero_conv(h, p + "coupling.net.4.")

    def step(self, x, p):
        sd = self.sd
        hw = x.shape[2] * x.shape[3]
        scale = sd[p + "actnorm.scale"]
        x = scale * (x + sd[p + "actnorm.loc"])
        logdet = hw * scale.abs().log().sum()
        w, lad = self.weight(p)
        x = F.conv2d(x, w[:, :, None, None])
        logdet = logdet + hw * lad
        a, b = x.chunk(2, 1)
        h = self.net(a, p)
        if self.affine:
            logit, t = h.chunk(2, 1)
            s = torch.sigmoid(logit + 2)
            b = (b + t) * s
            logdet = logdet + s.log().flatten(1).sum(1)
        else:
            b = b + h
        return torch.cat([a, b], 1), logdet

    def unstep(self, y, p):
        sd = self.sd
        a, b = y.chunk(2, 1)
        h = self.net(a, p)
        if self.affine:
            logit, t = h.chunk(2, 1)
            b = b / torch.sigmoid(logit + 2) - t
        else:
            b = b - h
        x = torch.cat([a, b], 1)
        w, _ = self.weight(p)
        x = F.conv2d(x, torch.inverse(w)[:, :, None, None])
        return x / sd[p + "actnorm.scale"] - sd[p + "actnorm.loc"]

    def encode(self, x):
        log_p, logdet, eps = 0, 0, []
        for i in range(self.blocks):
            x = squeeze(x)
            for k in range(self.flows):
                x, ld = self.step(x, f"blocks.{i}.flows.{k}.")
                logdet = logdet + ld
            if i + 1 < self.blocks:
                x, z = x.chunk(2, 1)
                mean, log_sd = self.zero_conv(x, f"blocks.{i}.prior.").chunk(2, 1)
            else:
                z = x
                mean, log_sd = self.zero_conv(torch.zeros_like(x), f"blocks.{i}.prior.").chunk(2, 1)
            log_p = log_p + log_normal(z, mean, log_sd)
            eps.append((z - mean) * torch.exp(-log_sd))
        return log_p + logdet, eps

    def decode(self, eps):
        x = None
        for i in reversed(range(self.blocks)):
            if i + 1 == self.blocks:
                mean, log_sd = self.zero_conv(torch.zeros_like(eps[i]), f"blocks.{i}.prior.").chunk(2, 1)
                x = mean + torch.exp(log_sd) * eps[i]
            else:
                mean, log_sd = self.zero_conv(x, f"blocks.{i}.prior.").chunk(2, 1)
                x = torch.cat([x, mean + torch.exp(log_sd) * eps[i]], 1)
            for k in reversed(range(self.flows)):
                x = self.unstep(x, f"blocks.{i}.flows.{k}.")
            x = unsqueeze(x)
        return x


# ---- y0ast/Glow-PyTorch layout ------------------------------------------------------------
# flow.layers.j: per level a squeeze (no tensors), K steps {actnorm.{bias,logs},
#   invconv.{p, sign_s, lower, upper, log_s} | invconv.weight [C,C] | nothing (reverse/shuffle),
#   block.{0,2}.conv.weight (no bias), block.{0,2}.actnorm.{bias,logs}, block.4.conv.{weight,bias},
#   block.4.logs [out,1,1]}, then a Split2d {conv.conv.{weight,bias}, conv.logs} (not on the last level)
# prior_h [1, 2C, h, w] (zeros), learn_top_fn.{conv.weight, conv.bias, logs}, optional
# project_ycond.{linear.weight, linear.bias, logs} and project_class.*.
# ActNorm y = (x + bias) * exp(logs); zero-padding everywhere; affine shift = h[:, 0::2],
# scale = sigmoid(h[:, 1::2] + 2), z2 = (z2 + shift) * scale; split prior mean = even, logs = odd;
# top prior = learn_top_fn(prior_h) split in halves (+ the class projection).

def y0ast_state(g, levels, steps, width, affine, permutation, learn_top, classes):
    sd = OrderedDict()
    c = CHANNELS
    j = 0
    for i in range(levels):
        c *= 4
        j += 1  # the squeeze
        for _ in range(steps):
            p = f"flow.layers.{j}."
            sd[p + "actnorm.bias"] = rand(g, 1, c, 1, 1, std=0.1)
            sd[p + "actnorm.logs"] = rand(g, 1, c, 1, 1, std=0.1)
            if permutation == "lu":
                w_p, lower, upper, sign_s, log_s = lu_parts(g, c)
                sd[p + "invconv.p"] = w_p
                sd[p + "invconv.sign_s"] = sign_s
                sd[p + "invconv.lower"] = lower + rand(g, c, c, std=0.05) * torch.tril(torch.ones(c, c), -1)
                sd[p + "invconv.log_s"] = log_s + rand(g, c, std=0.1)
                sd[p + "invconv.upper"] = upper + rand(g, c, c, std=0.05) * torch.triu(torch.ones(c, c), 1)
            elif permutation == "plain":
                q, _ = torch.linalg.qr(torch.randn(c, c, generator=g))
                sd[p + "invconv.weight"] = q + rand(g, c, c, std=0.05)
            out = c if affine else c // 2
            sd[p + "block.0.conv.weight"] = rand(g, width, c // 2, 3, 3, std=0.2)
            sd[p + "block.0.actnorm.bias"] = rand(g, 1, width, 1, 1, std=0.1)
            sd[p + "block.0.actnorm.logs"] = rand(g, 1, width, 1, 1, std=0.1)
            sd[p + "block.2.conv.weight"] = rand(g, width, width, 1, 1, std=0.2)
            sd[p + "block.2.actnorm.bias"] = rand(g, 1, width, 1, 1, std=0.1)
            sd[p + "block.2.actnorm.logs"] = rand(g, 1, width, 1, 1, std=0.1)
            sd[p + "block.4.conv.weight"] = rand(g, out, width, 3, 3, std=0.05)
            sd[p + "block.4.conv.bias"] = rand(g, out, std=0.05)
            sd[p + "block.4.logs"] = rand(g, out, 1, 1, std=0.05)
            j += 1
        if i + 1 < levels:
            p = f"flow.layers.{j}."
            sd[p + "conv.conv.weight"] = rand(g, c, c // 2, 3, 3, std=0.05)
            sd[p + "conv.conv.bias"] = rand(g, c, std=0.05)
            sd[p + "conv.logs"] = rand(g, c, 1, 1, std=0.05)
            c //= 2
            j += 1
    side = SIZE >> levels
    sd["prior_h"] = torch.zeros(1, 2 * c, side, side)
    if learn_top:
        sd["learn_top_fn.conv.weight"] = rand(g, 2 * c, 2 * c, 3, 3, std=0.05)
        sd["learn_top_fn.conv.bias"] = rand(g, 2 * c, std=0.1)
        sd["learn_top_fn.logs"] = rand(g, 2 * c, 1, 1, std=0.05)
    if classes:
        sd["project_ycond.linear.weight"] = rand(g, 2 * c, classes, std=0.1)
        sd["project_ycond.linear.bias"] = rand(g, 2 * c, std=0.1)
        sd["project_ycond.logs"] = rand(g, 2 * c, std=0.05)
        sd["project_class.linear.weight"] = rand(g, classes, c, std=0.1)
        sd["project_class.linear.bias"] = rand(g, classes, std=0.1)
        sd["project_class.logs"] = rand(g, classes, std=0.05)
    return sd


class Y0ast:
    def __init__(self, sd, levels, steps, affine, permutation, y_class):
        self.sd = {k: v.double() for k, v in sd.items()}
        self.levels, self.steps, self.affine, self.permutation, self.y_class = levels, steps, affine, permutation, y_class

    def zeros_conv(self, x, p):
        sd = self.sd
        return F.conv2d(x, sd[p + "conv.weight"], sd[p + "conv.bias"], padding=1) * torch.exp(sd[p + "logs"].reshape(1, -1, 1, 1) * 3)

    def hidden(self, x, p, pad):
        sd = self.sd
        h = F.conv2d(x, sd[p + "conv.weight"], padding=pad)
        return F.relu((h + sd[p + "actnorm.bias"]) * torch.exp(sd[p + "actnorm.logs"]))

    def weight(self, p, c):
        sd = self.sd
        if self.permutation == "lu":
            mask = torch.tril(torch.ones(c, c, dtype=torch.float64), -1)
            l = sd[p + "invconv.lower"] * mask + torch.eye(c, dtype=torch.float64)
            u = sd[p + "invconv.upper"] * mask.T + torch.diag(sd[p + "invconv.sign_s"] * torch.exp(sd[p + "invconv.log_s"]))
            return sd[p + "invconv.p"] @ l @ u, sd[p + "invconv.log_s"].sum()
        if self.permutation == "plain":
            w = sd[p + "invconv.weight"]
            return w, torch.slogdet(w)[1]
        return torch.eye(c, dtype=torch.float64).flip(0), torch.tensor(0.0, dtype=torch.float64)

    def coupling_h(self, a, p):
        h = self.hidden(a, p + "block.0.", 1)
        h = self.hidden(h, p + "block.2.", 0)
        return self.zeros_conv(h, p + "block.4.")

    def step(self, x, p):
        sd = self.sd
        hw = x.shape[2] * x.shape[3]
        x = (x + sd[p + "actnorm.bias"]) * torch.exp(sd[p + "actnorm.logs"])
        logdet = hw * sd[p + "actnorm.logs"].sum()
        w, lad = self.weight(p, x.shape[1])
        x = F.conv2d(x, w[:, :, None, None])
        logdet = logdet + hw * lad
        c = x.shape[1]
        a, b = x[:, : c // 2], x[:, c // 2:]
        h = self.coupling_h(a, p)
        if self.affine:
            scale = torch.sigmoid(h[:, 1::2] + 2.0)
            b = (b + h[:, 0::2]) * scale
            logdet = logdet + scale.log().flatten(1).sum(1)
        else:
            b = b + h
        return torch.cat([a, b], 1), logdet

    def unstep(self, y, p):
        sd = self.sd
        c = y.shape[1]
        a, b = y[:, : c // 2], y[:, c // 2:]
        h = self.coupling_h(a, p)
        if self.affine:
            b = b / torch.sigmoid(h[:, 1::2] + 2.0) - h[:, 0::2]
        else:
            b = b - h
        x = torch.cat([a, b], 1)
        w, _ = self.weight(p, c)
        x = F.conv2d(x, torch.inverse(w)[:, :, None, None])
        return x * torch.exp(-sd[p + "actnorm.logs"]) - sd[p + "actnorm.bias"]

    def top(self):
        sd = self.sd
        h = sd["prior_h"]
        if "learn_top_fn.conv.weight" in sd:
            h = self.zeros_conv(h, "learn_top_fn.")
        if "project_ycond.linear.weight" in sd:
            y = torch.zeros(sd["project_ycond.linear.weight"].shape[1], dtype=torch.float64)
            y[self.y_class] = 1.0
            yp = (sd["project_ycond.linear.weight"] @ y + sd["project_ycond.linear.bias"]) * torch.exp(sd["project_ycond.logs"] * 3)
            h = h + yp.reshape(1, -1, 1, 1)
        c = h.shape[1] // 2
        return h[:, :c], h[:, c:]

    def layout(self):
        """(level, [step layer indices], split layer index or None)"""
        j, out = 0, []
        for i in range(self.levels):
            j += 1
            steps = list(range(j, j + self.steps))
            j += self.steps
            split = None
            if i + 1 < self.levels:
                split = j
                j += 1
            out.append((steps, split))
        return out

    def encode(self, x):
        log_p, logdet, eps = 0, 0, []
        for steps, split in self.layout():
            x = squeeze(x)
            for j in steps:
                x, ld = self.step(x, f"flow.layers.{j}.")
                logdet = logdet + ld
            if split is not None:
                c = x.shape[1]
                x, z = x[:, : c // 2], x[:, c // 2:]
                h = self.zeros_conv(x, f"flow.layers.{split}.conv.")
                mean, logs = h[:, 0::2], h[:, 1::2]
            else:
                z = x
                mean, logs = self.top()
            log_p = log_p + log_normal(z, mean, logs)
            eps.append((z - mean) * torch.exp(-logs))
        return log_p + logdet, eps

    def decode(self, eps):
        x = None
        layout = self.layout()
        for i in reversed(range(self.levels)):
            steps, split = layout[i]
            if split is None:
                mean, logs = self.top()
                x = mean + torch.exp(logs) * eps[i]
            else:
                h = self.zeros_conv(x, f"flow.layers.{split}.conv.")
                x = torch.cat([x, h[:, 0::2] + torch.exp(h[:, 1::2]) * eps[i]], 1)
            for j in reversed(steps):
                x = self.unstep(x, f"flow.layers.{j}.")
            x = unsqueeze(x)
        return x


def write_ppm(path, img):
    c, h, w = img.shape
    with open(path, "wb") as f:
        f.write(b"P6\n%d %d\n255\n" % (w, h))
        f.write(img.permute(1, 2, 0).contiguous().numpy().tobytes())


def expectations(model, images, n_bits, g, chaiyujin=False):
    if chaiyujin:
        # chaiyujin feeds ToTensor()'s p/255 and scores the density of that variable; GlowLab's
        # variable is (p + 0.5)/256 - 0.5, an affine map of it: its bits/dim counts 255 bins.
        x = images.double() / 255.0
        log_px, enc_eps = model.encode(x)
        bpd = -(log_px - x[0].numel() * math.log(255.0)) / (x[0].numel() * math.log(2.0))
        to_glowlab = lambda t: t * (255.0 / 256.0) - 0.5 + 0.5 / 256.0
    else:
        log_px, enc_eps = model.encode(centred_input(images, n_bits))
        bpd = bits_per_dim(log_px, n_bits)
        to_glowlab = lambda t: t
    sample_eps = [e + torch.randn(e.shape, generator=g, dtype=torch.float64) * 0.1 for e in enc_eps]
    return {
        "images": images,
        "bits_per_dim": bpd,
        "encoded_eps": [e.float() for e in enc_eps],
        "sample_eps": [e.float() for e in sample_eps],
        "decoded": to_glowlab(model.decode(sample_eps)),
        "roundtrip": to_glowlab(model.decode(enc_eps)),
    }


# ---- chaiyujin/glow-pytorch layout: y0ast's model under other names --------------------------
# Its Conv2d/Conv2dZeros/LinearZeros subclass nn.Conv2d/nn.Linear (no ".conv."/".linear."), the
# coupling net is "f", the top conv "learn_top", the LU factors "l"/"u", prior_h is a parameter of
# the training batch size, and the checkpoint is {"global_step", "graph", "optim"}.

def chaiyujin_names(sd, batch=12):
    out = OrderedDict()
    for k, v in sd.items():
        k = k.replace(".block.", ".f.").replace(".conv.weight", ".weight").replace(".conv.bias", ".bias")
        k = k.replace("learn_top_fn.", "learn_top.").replace(".linear.", ".")
        k = k.replace("invconv.lower", "invconv.l").replace("invconv.upper", "invconv.u")
        if k == "prior_h":
            v = v.repeat(batch, 1, 1, 1)
        out[k] = v
    return out


def main():
    out = sys.argv[1]
    os.makedirs(os.path.join(out, "images"), exist_ok=True)
    g = torch.Generator().manual_seed(22)
    images = torch.randint(0, 256, (N_IMAGES, CHANNELS, SIZE, SIZE), generator=g, dtype=torch.uint8)
    # smooth images too: a gradient and a flat grey, as well as noise
    images[2] = (torch.arange(SIZE).view(1, 1, SIZE) * 16).clamp(max=255).to(torch.uint8).expand(CHANNELS, SIZE, SIZE)
    images[3] = 128
    for n in range(N_IMAGES):
        write_ppm(os.path.join(out, "images", f"{n}.ppm"), images[n])

    variants = {
        # name: (format, builder, model, n_bits, extra json)
        "rosinality_affine": ("rosinality", dict(blocks=3, flows=2, width=8, affine=True, lu=True), 5),
        "rosinality_additive_nolu": ("rosinality", dict(blocks=2, flows=2, width=8, affine=False, lu=False), 8),
        "y0ast_affine": ("y0ast", dict(levels=3, steps=2, width=8, affine=True, permutation="lu", learn_top=True, classes=0), 8),
        "y0ast_additive_reverse_cond": ("y0ast", dict(levels=2, steps=2, width=8, affine=False, permutation="reverse",
                                                      learn_top=True, classes=3), 8),
        "y0ast_plain_notop": ("y0ast", dict(levels=2, steps=1, width=8, affine=True, permutation="plain", learn_top=False,
                                            classes=0), 8),
        "chaiyujin_affine_lu_cond": ("chaiyujin", dict(levels=3, steps=2, width=8, affine=True, permutation="lu",
                                                       learn_top=True, classes=4), 8),
        "chaiyujin_additive_plain": ("chaiyujin", dict(levels=2, steps=2, width=8, affine=False, permutation="plain",
                                                       learn_top=False, classes=0), 8),
    }
    for name, (fmt, cfg, n_bits) in variants.items():
        if fmt == "rosinality":
            sd = rosinality_state(g, **cfg)
            model = Rosinality(sd, cfg["blocks"], cfg["flows"], cfg["affine"])
            # rosinality's train.py saves the nn.DataParallel model's state_dict: keys start with "module."
            saved = OrderedDict(("module." + k, v) for k, v in sd.items())
            meta = {"n_bits": n_bits, "image_size": SIZE}
        else:
            sd = y0ast_state(g, **cfg)
            y_class = 1 if cfg["classes"] else -1
            model = Y0ast(sd, cfg["levels"], cfg["steps"], cfg["affine"], cfg["permutation"], y_class)
            optim = {"state": {0: {"step": 3, "exp_avg": torch.zeros(2)}},
                     "param_groups": [{"lr": 5e-4, "betas": (0.9, 0.999), "params": [0]}]}
            if fmt == "chaiyujin":
                saved = {"global_step": 5000, "graph": chaiyujin_names(sd), "optim": optim}
            else:
                # ignite's ModelCheckpoint: {"model": state_dict, "optimizer": state_dict}
                saved = {"model": sd, "optimizer": optim}
            hparams = {"K": cfg["steps"], "L": cfg["levels"], "hidden_channels": cfg["width"],
                       "flow_permutation": "invconv" if cfg["permutation"] in ("lu", "plain") else cfg["permutation"],
                       "flow_coupling": "affine" if cfg["affine"] else "additive",
                       "LU_decomposed": cfg["permutation"] == "lu", "learn_top": cfg["learn_top"],
                       "y_condition": bool(cfg["classes"]), "dataset": "cifar10"}
            with open(os.path.join(out, name + ".hparams.json"), "w") as f:
                json.dump({"Glow": hparams} if fmt == "chaiyujin" else hparams, f)
            meta = {"n_bits": n_bits, "image_size": SIZE, "y_class": y_class}
        torch.save(saved, os.path.join(out, name + ".pt"))
        torch.save(expectations(model, images, n_bits, g, fmt == "chaiyujin"), os.path.join(out, name + ".expect.pt"))
        with open(os.path.join(out, name + ".json"), "w") as f:
            json.dump(meta, f)

    # Broken files for the error messages.
    sd = rosinality_state(g, blocks=2, flows=1, width=8, affine=True, lu=True)
    bad = OrderedDict(sd)
    bad["blocks.1.flows.0.coupling.net.2.weight"] = torch.zeros(8, 7, 1, 1)
    torch.save(bad, os.path.join(out, "bad_shape.pt"))
    missing = OrderedDict(sd)
    del missing["blocks.0.prior.scale"]
    torch.save(missing, os.path.join(out, "missing_key.pt"))
    torch.save(sd, os.path.join(out, "legacy.pt"), _use_new_zipfile_serialization=False)
    shuffled = y0ast_state(g, levels=2, steps=1, width=8, affine=True, permutation="shuffle", learn_top=True, classes=0)
    torch.save(shuffled, os.path.join(out, "y0ast_shuffle.pt"))
    with open(os.path.join(out, "y0ast_shuffle.hparams.json"), "w") as f:
        json.dump({"flow_permutation": "shuffle", "K": 1, "L": 2}, f)


if __name__ == "__main__":
    main()
