# outbox_install_plugin(<target> PACKAGE <package> [SUMMARY <text> DESCRIPTION <text>])
#
# Installs a plugin into the plugin directory as part of the package PACKAGE (its install
# component). A driver plugin gets a package of its own, described by SUMMARY and DESCRIPTION, so
# that only whoever uses it installs its driver library, with the plugin's README.md; the default
# plugins go into outboxd.
function(outbox_install_plugin target)
  cmake_parse_arguments(P "" "PACKAGE;SUMMARY;DESCRIPTION" "" ${ARGN})
  if(NOT P_PACKAGE)
    message(FATAL_ERROR "outbox_install_plugin(${target}) needs PACKAGE")
  endif()
  install(TARGETS ${target} LIBRARY DESTINATION ${OUTBOXD_PLUGIN_SUBDIR} COMPONENT ${P_PACKAGE})
  # outboxd.yaml(5) documents the config blocks of every installed plugin.
  set_property(GLOBAL APPEND PROPERTY OUTBOX_INSTALLED_PLUGINS ${target})
  if(P_SUMMARY)
    set_property(GLOBAL APPEND PROPERTY OUTBOX_PLUGIN_PACKAGES ${P_PACKAGE})
    set_property(GLOBAL PROPERTY OUTBOX_PACKAGE_SUMMARY_${P_PACKAGE} "${P_SUMMARY}")
    set_property(GLOBAL PROPERTY OUTBOX_PACKAGE_DESCRIPTION_${P_PACKAGE} "${P_DESCRIPTION}")
    if(EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/README.md)
      set_property(GLOBAL PROPERTY OUTBOX_PACKAGE_README_${P_PACKAGE} ${CMAKE_CURRENT_SOURCE_DIR}/README.md)
    endif()
  endif()
endfunction()
