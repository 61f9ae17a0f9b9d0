# outbox_add_plugin(NAME <name> KIND <storage|transport> SOURCES <files...> [LIBRARIES <libs...>]
#                   [OUTPUT_DIR <dir>])
#
# Builds outbox-<kind>-<name>.so: a MODULE library that sees only the SDK, hides every symbol but
# the two ABI entry points (a version script), and keeps the symbols of the static libraries it links private
# (-Wl,--exclude-libs,ALL), so two plugins never collide inside one process. The target is
# outbox-<kind>-<name> (also left in OUTBOX_PLUGIN_TARGET); the .so goes to OUTPUT_DIR, by default
# the current build directory (in tree: the build's plugin directory).
set(_outbox_plugin_cmake_dir "${CMAKE_CURRENT_LIST_DIR}")

function(outbox_add_plugin)
  cmake_parse_arguments(P "" "NAME;KIND;OUTPUT_DIR" "SOURCES;LIBRARIES" ${ARGN})
  if(NOT P_NAME OR NOT P_KIND OR NOT P_SOURCES)
    message(FATAL_ERROR "outbox_add_plugin needs NAME, KIND and SOURCES")
  endif()
  if(NOT P_KIND MATCHES "^(storage|transport)$")
    message(FATAL_ERROR "outbox_add_plugin: KIND must be storage or transport, got '${P_KIND}'")
  endif()
  if(NOT P_OUTPUT_DIR AND DEFINED OUTBOXD_PLUGIN_OUTPUT_DIR)
    set(P_OUTPUT_DIR "${OUTBOXD_PLUGIN_OUTPUT_DIR}")  # in tree: where outboxd finds its plugins
  elseif(NOT P_OUTPUT_DIR)
    set(P_OUTPUT_DIR "${CMAKE_CURRENT_BINARY_DIR}")
  endif()
  set(target outbox-${P_KIND}-${P_NAME})
  add_library(${target} MODULE ${P_SOURCES})
  target_link_libraries(${target} PRIVATE Outbox::sdk ${P_LIBRARIES})
  set_target_properties(${target} PROPERTIES
    PREFIX ""
    OUTPUT_NAME ${target}
    C_VISIBILITY_PRESET hidden
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON
    LIBRARY_OUTPUT_DIRECTORY "${P_OUTPUT_DIR}")
  set(exports "${_outbox_plugin_cmake_dir}/outbox_plugin_exports.map")
  target_link_options(${target} PRIVATE -Wl,--exclude-libs,ALL -Wl,--no-undefined "-Wl,--version-script=${exports}")
  set_property(TARGET ${target} APPEND PROPERTY LINK_DEPENDS "${exports}")
  if(COMMAND outbox_set_warnings)
    outbox_set_warnings(${target})
  endif()
  set(OUTBOX_PLUGIN_TARGET ${target} PARENT_SCOPE)
endfunction()
