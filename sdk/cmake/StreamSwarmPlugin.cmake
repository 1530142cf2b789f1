# streamswarm_add_plugin(<name> SOURCES <files...> [LINK <targets...>] [OUTPUT_DIR <dir>])
# Builds probe plugin <name> as a loadable module libstreamswarm_<name>.so that exports only its
# manifest and entry alias. OUTPUT_DIR defaults to STREAMSWARM_PLUGIN_OUTPUT_DIR when set.
function(streamswarm_add_plugin name)
  cmake_parse_arguments(PLUGIN "" "OUTPUT_DIR" "SOURCES;LINK" ${ARGN})
  if(NOT PLUGIN_SOURCES)
    message(FATAL_ERROR "streamswarm_add_plugin(${name}): SOURCES is required")
  endif()
  set(target streamswarm_plugin_${name})
  add_library(${target} MODULE ${PLUGIN_SOURCES})
  target_link_libraries(${target} PRIVATE StreamSwarm::SDK ${PLUGIN_LINK})
  set_target_properties(${target} PROPERTIES
    OUTPUT_NAME streamswarm_${name}
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON)
  if(NOT PLUGIN_OUTPUT_DIR AND STREAMSWARM_PLUGIN_OUTPUT_DIR)
    set(PLUGIN_OUTPUT_DIR ${STREAMSWARM_PLUGIN_OUTPUT_DIR})
  endif()
  if(PLUGIN_OUTPUT_DIR)
    set_target_properties(${target} PROPERTIES LIBRARY_OUTPUT_DIRECTORY ${PLUGIN_OUTPUT_DIR})
  endif()
  # Undefined symbols would only show up at load time on the agent's host; fail the link instead.
  target_link_options(${target} PRIVATE -Wl,--no-undefined)
  # Hidden visibility does not cover the standard library's templates (namespace std is declared
  # visibility("default")), so a version script keeps everything but the manifest and the entry
  # alias (names from abi.h) local: no part of the plugin's C++ runtime can bind to the host's.
  set(exports ${CMAKE_CURRENT_BINARY_DIR}/streamswarm_plugin_exports.map)
  file(CONFIGURE OUTPUT ${exports} CONTENT "{\n  global: streamswarm_manifest; streamswarm_plugin_v1;\n  local: *;\n};\n")
  target_link_options(${target} PRIVATE -Wl,--version-script=${exports})
  set_property(TARGET ${target} APPEND PROPERTY LINK_DEPENDS ${exports})
endfunction()
