// Conversions between the engine's plain Image and QImage (copies; no shared buffers).
#pragma once

#include <QImage>

#include "glowlab.h"

QImage toQImage(const glowlab::Image& image);
// RGB (3 channels) or grey (1), for models of either kind.
glowlab::Image fromQImage(const QImage& image, int channels = 3);
