# The vmm_layers test: every #include "vmm/X/..." in a vmm/ folder must name
# the folder's own layer or one it declared in vmm/CMakeLists.txt, so a
# lower layer reaching up (say devices/ including machine/) fails here even
# when the link happens to succeed. The static libraries make most such
# reaches fail to link too; this check also covers headers and inline code.
#
# cmake -DSOURCE_DIR=<repo> -DLAYERS=<build>/vmm_layers.txt [-DVMM_DIR=<dir>] -P vmm_layers.cmake
# VMM_DIR (default SOURCE_DIR/vmm) lets the test's own self-check point it
# at a copy with a planted back-edge.
cmake_minimum_required(VERSION 3.25)
if(NOT VMM_DIR)
  set(VMM_DIR ${SOURCE_DIR}/vmm)
endif()
file(STRINGS ${LAYERS} lines)

# "arch/x86_64/layout.h" -> layout, "arch/..." -> arch: the longest matching folder wins.
set(names "")
foreach(line IN LISTS lines)
  string(REPLACE ":" ";" fields "${line}")
  list(GET fields 0 name)
  list(GET fields 1 folder)
  list(LENGTH fields count)
  set(deps "")
  if(count GREATER 2)
    list(GET fields 2 deps)
    string(REPLACE "," ";" deps "${deps}")
  endif()
  list(APPEND names ${name})
  set(folder_of_${name} ${folder})
  set(deps_of_${name} ${deps})
endforeach()

function(layer_of path out)
  set(best "")
  set(best_length 0)
  foreach(name IN LISTS names)
    set(folder ${folder_of_${name}})
    string(LENGTH "${folder}" length)
    if((path STREQUAL folder OR path MATCHES "^${folder}/") AND length GREATER best_length)
      set(best ${name})
      set(best_length ${length})
    endif()
  endforeach()
  set(${out} "${best}" PARENT_SCOPE)
endfunction()

set(failures 0)
file(GLOB_RECURSE files RELATIVE ${VMM_DIR} ${VMM_DIR}/*.h ${VMM_DIR}/*.cpp)
foreach(file IN LISTS files)
  layer_of(${file} layer)
  if(layer STREQUAL "")
    message(SEND_ERROR "vmm/${file}: its folder is not a layer in vmm/CMakeLists.txt")
    math(EXPR failures "${failures} + 1")
    continue()
  endif()
  file(STRINGS ${VMM_DIR}/${file} includes REGEX "^#include \"vmm/")
  foreach(include IN LISTS includes)
    string(REGEX REPLACE "^#include \"vmm/([^\"]+)\".*" "\\1" target "${include}")
    layer_of(${target} used)
    if(used STREQUAL layer OR used IN_LIST deps_of_${layer})
      continue()
    endif()
    if(used STREQUAL "")
      set(used "no layer")
    endif()
    message(SEND_ERROR "vmm/${file} (layer ${layer}) includes vmm/${target} (${used}), "
                       "which ${layer} does not depend on: move the type down to the layer "
                       "that owns it, or declare the dependency in vmm/CMakeLists.txt if "
                       "it points down")
    math(EXPR failures "${failures} + 1")
  endforeach()
endforeach()
list(LENGTH files checked)
if(failures GREATER 0)
  message(FATAL_ERROR "${failures} include(s) cross the vmm/ layers the wrong way")
endif()
message(STATUS "${checked} files in vmm/ include only their own and lower layers")
