# Where an install puts things, by the package format it is for (OUTBOXD_PACKAGE_FORMAT, set by
# scripts/package; empty for a plain install). Included before GNUInstallDirs.
#   deb: plugins in /usr/lib/outboxd/plugins; the unit in /lib/systemd/system, where bookworm's
#        packages keep their units until the /usr merge of dpkg's file lists (lintian:
#        systemd-service-file-outside-lib); libraries and CMake packages in the multiarch libdir.
#   rpm: %{_libdir} (lib64) for the libraries and the plugins, %{_unitdir} for the unit.
set(OUTBOXD_PACKAGE_FORMAT "" CACHE STRING "Install layout for a package: deb, rpm, or empty")
set_property(CACHE OUTBOXD_PACKAGE_FORMAT PROPERTY STRINGS "" deb rpm)

if(OUTBOXD_PACKAGE_FORMAT STREQUAL "rpm")
  set(CMAKE_INSTALL_LIBDIR lib64)
  set(OUTBOXD_PLUGIN_SUBDIR "lib64/outboxd/plugins")
  set(OUTBOXD_SYSTEMD_UNITDIR "${CMAKE_INSTALL_PREFIX}/lib/systemd/system")
elseif(OUTBOXD_PACKAGE_FORMAT STREQUAL "deb")
  set(OUTBOXD_PLUGIN_SUBDIR "lib/outboxd/plugins")
  set(OUTBOXD_SYSTEMD_UNITDIR "/lib/systemd/system")
elseif(OUTBOXD_PACKAGE_FORMAT STREQUAL "")
  set(OUTBOXD_PLUGIN_SUBDIR "lib/outboxd/plugins")
  set(OUTBOXD_SYSTEMD_UNITDIR "${CMAKE_INSTALL_PREFIX}/lib/systemd/system")
else()
  message(FATAL_ERROR "OUTBOXD_PACKAGE_FORMAT must be deb, rpm or empty, not '${OUTBOXD_PACKAGE_FORMAT}'")
endif()
