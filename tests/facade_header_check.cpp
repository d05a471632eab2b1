// Compiles the engine facade alone: it must need nothing but the C++ standard library.
#include "glowlab.h"

static_assert(sizeof(glowlab::Image) > 0, "facade header is self-contained");
