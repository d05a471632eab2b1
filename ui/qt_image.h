// Conversions between the engine's plain Image and QImage (copies; no shared buffers).
#pragma once

#include <QImage>

#include "glowlab.h"

QImage toQImage(const glowlab::Image& image);
glowlab::Image fromQImage(const QImage& image);  // RGB888
