// Fixture for the boundary check's own test (never compiled): a front-end file reaching into the engine.
#include "glowlab.h"
#include "flow/glow.h"
