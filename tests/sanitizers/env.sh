# Sanitizer run-time options for the sanitized test suite and the fuzzers (sourced by
# `./quickstart sanitize` and tools/fuzz.sh). A caller's own *SAN_OPTIONS are appended to ours,
# so they win (the last value of a key counts).
_glowlab_san_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export ASAN_OPTIONS="detect_leaks=1:halt_on_error=1:print_stacktrace=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:suppressions=$_glowlab_san_dir/ubsan.supp${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
export LSAN_OPTIONS="suppressions=$_glowlab_san_dir/lsan.supp:print_suppressions=0${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
unset _glowlab_san_dir
