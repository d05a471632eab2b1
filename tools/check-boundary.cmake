# The engine's boundary, checked: files under SOURCE_DIRS (a ;-list of folders) may include, of the
# engine at ENGINE_DIR, only "glowlab.h" - the facade and the plain-type headers it includes. Any other
# engine header is reported with its file and line, and the script fails.
#   cmake -DENGINE_DIR=engine -DSOURCE_DIRS="ui;app;bench" -P tools/check-boundary.cmake
if(NOT ENGINE_DIR OR NOT SOURCE_DIRS)
  message(FATAL_ERROR "usage: cmake -DENGINE_DIR=<engine folder> -DSOURCE_DIRS=<folders> -P check-boundary.cmake")
endif()
set(violations "")
foreach(dir IN LISTS SOURCE_DIRS)
  file(GLOB_RECURSE files "${dir}/*.h" "${dir}/*.cpp")
  foreach(f IN LISTS files)
    file(STRINGS "${f}" lines REGEX "^[ \t]*#[ \t]*include[ \t]*\"[^\"]+\"")
    foreach(line IN LISTS lines)
      string(REGEX REPLACE "^[ \t]*#[ \t]*include[ \t]*\"([^\"]+)\".*" "\\1" header "${line}")
      if(header STREQUAL "glowlab.h")
        continue()
      endif()
      if(EXISTS "${ENGINE_DIR}/${header}" OR EXISTS "${ENGINE_DIR}/include/${header}")
        file(RELATIVE_PATH shown "${CMAKE_CURRENT_LIST_DIR}/.." "${f}")
        list(APPEND violations "  ${shown}: includes the engine's \"${header}\"")
      endif()
    endforeach()
  endforeach()
endforeach()
if(violations)
  list(JOIN violations "\n" text)
  message(FATAL_ERROR "the engine's boundary: ui/, app/ and bench/ may include only \"glowlab.h\" of the engine "
                      "(declare what they need there, with plain types):\n${text}")
endif()
