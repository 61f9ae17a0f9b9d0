# The packages, one a CPack component (see packaging/README.md): outboxd (the binary, the default
# plugins, the service), one package per driver plugin (registered by outbox_install_plugin),
# outboxd-dev (the SDK's component "sdk") and liboutbox-producer-dev. scripts/package builds
# them with OUTBOXD_PACKAGE_FORMAT set to deb or rpm.
set(OUTBOXD_PACKAGE_MAINTAINER "outboxd maintainers <maintainers@outboxd.example>"
  CACHE STRING "Maintainer of the packages (Name <address>)")

# The plugin ABI major, read from the header plugins are built with: outboxd provides
# outboxd-abi-<major>, and every plugin package depends on that, not on one outboxd version.
file(STRINGS "${PROJECT_SOURCE_DIR}/sdk/include/outbox/plugin_abi.h" abi_major_line
  REGEX "^#define OUTBOX_ABI_MAJOR [0-9]+$")
string(REGEX REPLACE "^.* " "" OUTBOXD_ABI_MAJOR "${abi_major_line}")
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS
  ${PROJECT_SOURCE_DIR}/sdk/include/outbox/plugin_abi.h ${PROJECT_SOURCE_DIR}/packaging/changelog
  ${PROJECT_SOURCE_DIR}/packaging/sysusers.conf)
set(abi_capability "outboxd-abi-${OUTBOXD_ABI_MAJOR}")

# The changelog's newest entry is the version packaged: it cannot say another.
file(STRINGS "${PROJECT_SOURCE_DIR}/packaging/changelog" changelog_head LIMIT_COUNT 1)
if(NOT changelog_head MATCHES "^outboxd \\(${PROJECT_VERSION}\\) ")
  message(FATAL_ERROR "packaging/changelog: its first entry is not version ${PROJECT_VERSION}: ${changelog_head}")
endif()

set(CPACK_PACKAGE_NAME outboxd)
# Each package has its own synopsis; CPackDeb would put this one before it.
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_VENDOR outboxd)
set(CPACK_PACKAGE_CONTACT "${OUTBOXD_PACKAGE_MAINTAINER}")
set(CPACK_STRIP_FILES ON)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_RPM_COMPONENT_INSTALL ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_RPM_FILE_NAME RPM-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_RPM_PACKAGE_LICENSE "LicenseRef-not-yet-chosen")
set(CPACK_RPM_PACKAGE_AUTOREQ ON)
set(CPACK_RPM_PACKAGE_AUTOPROV ON)
# The plugins are loaded by path, never linked to: they provide no library (Fedora's way for
# plugin directories). rpmbuild strips the binaries (brp-strip) but leaves the static library
# its debug information, for whoever debugs into it (rpmlint: static-library-without-debuginfo).
set(CPACK_RPM_SPEC_MORE_DEFINE "%define packager ${OUTBOXD_PACKAGE_MAINTAINER}
%global __provides_exclude_from ^${CMAKE_INSTALL_PREFIX}/${OUTBOXD_PLUGIN_SUBDIR}/.*$
%define __brp_strip_static_archive /bin/true")
# Directories of the filesystem layout, owned by the filesystem package, not by these.
set(CPACK_RPM_EXCLUDE_FROM_AUTO_FILELIST_ADDITION /usr/lib/systemd /usr/lib/systemd/system
  /usr/lib/sysusers.d /usr/share/man /usr/share/man/man5 /usr/share/man/man8 /usr/lib64/cmake
  /usr/share/bash-completion /usr/share/bash-completion/completions)

get_property(plugin_packages GLOBAL PROPERTY OUTBOX_PLUGIN_PACKAGES)
set(CPACK_COMPONENTS_ALL outboxd ${plugin_packages} sdk liboutbox-producer-dev)

# outbox_package(<component> <package> <section> <summary> <description> [<doc>...]): the
# package of an install component, with its documents in /usr/share/doc/<package>. A development
# package <name>-dev is <name>-devel as an RPM, the name RPM distributions (and rpmlint) expect.
macro(outbox_package component package section summary description)
  string(TOUPPER "${component}" c)
  set(CPACK_DEBIAN_${c}_PACKAGE_NAME ${package})
  set(CPACK_DEBIAN_${c}_PACKAGE_SECTION ${section})
  set(CPACK_DEBIAN_${c}_DESCRIPTION "${summary}\n${description}")
  string(REGEX REPLACE "-dev$" "-devel" rpm_name ${package})
  set(CPACK_RPM_${c}_PACKAGE_NAME ${rpm_name})
  set(CPACK_RPM_${c}_PACKAGE_SUMMARY "${summary}")
  set(CPACK_RPM_${c}_PACKAGE_DESCRIPTION "${description}")
  if(rpm_name MATCHES "-devel$")
    set(CPACK_RPM_${c}_PACKAGE_GROUP "Development/Libraries")
  endif()
  set(docs ${ARGN})
  if(OUTBOXD_PACKAGE_FORMAT STREQUAL "rpm")
    set(doc_dir ${CMAKE_INSTALL_DATAROOTDIR}/doc/${rpm_name})
  else()
    set(doc_dir ${CMAKE_INSTALL_DATAROOTDIR}/doc/${package})
  endif()
  if(OUTBOXD_PACKAGE_FORMAT STREQUAL "deb")  # Debian policy 12.5 and 12.7
    list(APPEND docs ${PROJECT_SOURCE_DIR}/packaging/copyright ${CMAKE_BINARY_DIR}/packaging/changelog.gz)
  endif()
  if(docs)
    install(FILES ${docs} DESTINATION ${doc_dir} COMPONENT ${component})
  endif()
  set(overrides ${PROJECT_SOURCE_DIR}/packaging/lintian/${package})
  if(OUTBOXD_PACKAGE_FORMAT STREQUAL "deb" AND EXISTS ${overrides})
    install(FILES ${overrides} DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/lintian/overrides COMPONENT ${component})
  endif()
endmacro()

outbox_package(outboxd outboxd net "Transactional-outbox relay"
  "outboxd claims the events a service wrote into an outbox table, in the same\ntransaction as its business change, publishes them to a broker and settles\nthem: sent, retried with backoff, or moved to the dead letters.\n\nThis package holds the relay with its embedded default plugins (SQLite storage,\nstdout transport), the systemd service and its configuration."
  ${PROJECT_SOURCE_DIR}/docs/user-guide.md ${PROJECT_SOURCE_DIR}/docs/configuration.md)
set(CPACK_DEBIAN_OUTBOXD_PACKAGE_DEPENDS "adduser")
set(CPACK_DEBIAN_OUTBOXD_PACKAGE_PROVIDES "${abi_capability}")
set(CPACK_RPM_OUTBOXD_PACKAGE_PROVIDES "${abi_capability}")
set(CPACK_DEBIAN_OUTBOXD_PACKAGE_CONTROL_EXTRA
  ${PROJECT_SOURCE_DIR}/packaging/deb/conffiles ${PROJECT_SOURCE_DIR}/packaging/deb/postinst
  ${PROJECT_SOURCE_DIR}/packaging/deb/prerm ${PROJECT_SOURCE_DIR}/packaging/deb/postrm)
set(CPACK_RPM_OUTBOXD_USER_FILELIST "%config(noreplace) ${CMAKE_INSTALL_FULL_SYSCONFDIR}/outboxd/outboxd.yaml")
set(CPACK_RPM_OUTBOXD_PACKAGE_REQUIRES_PRE "shadow-utils")
file(STRINGS ${PROJECT_SOURCE_DIR}/packaging/sysusers.conf OUTBOXD_SYSUSERS_ENTRY REGEX "^u ")
configure_file(${PROJECT_SOURCE_DIR}/packaging/rpm/pre.sh.in ${CMAKE_BINARY_DIR}/packaging/pre.sh @ONLY)
set(CPACK_RPM_OUTBOXD_PRE_INSTALL_SCRIPT_FILE ${CMAKE_BINARY_DIR}/packaging/pre.sh)
set(CPACK_RPM_OUTBOXD_POST_INSTALL_SCRIPT_FILE ${PROJECT_SOURCE_DIR}/packaging/rpm/post.sh)
set(CPACK_RPM_OUTBOXD_PRE_UNINSTALL_SCRIPT_FILE ${PROJECT_SOURCE_DIR}/packaging/rpm/preun.sh)
set(CPACK_RPM_OUTBOXD_POST_UNINSTALL_SCRIPT_FILE ${PROJECT_SOURCE_DIR}/packaging/rpm/postun.sh)

foreach(plugin_package IN LISTS plugin_packages)
  get_property(summary GLOBAL PROPERTY OUTBOX_PACKAGE_SUMMARY_${plugin_package})
  get_property(description GLOBAL PROPERTY OUTBOX_PACKAGE_DESCRIPTION_${plugin_package})
  get_property(readme GLOBAL PROPERTY OUTBOX_PACKAGE_README_${plugin_package})
  outbox_package(${plugin_package} ${plugin_package} net "${summary}"
    "${description}\n\nThe plugin is loaded by outboxd from its plugin directory; it depends on the\nplugin ABI outboxd provides, not on one outboxd version." ${readme})
  string(TOUPPER "${plugin_package}" c)
  set(CPACK_DEBIAN_${c}_PACKAGE_DEPENDS "${abi_capability}")
  set(CPACK_RPM_${c}_PACKAGE_REQUIRES "${abi_capability}")
endforeach()

outbox_package(sdk outboxd-dev devel "Plugin SDK for outboxd"
  "The C plugin ABI header, its C++ wrapper and the conformance kit to write\nstorage and transport plugins for outboxd, with the CMake package OutboxSDK\n(find_package(OutboxSDK), with outbox_add_plugin()) and the example plugin's\nsource."
  ${PROJECT_SOURCE_DIR}/sdk/README.md ${PROJECT_SOURCE_DIR}/docs/plugin-authors.md)
outbox_package(liboutbox-producer-dev liboutbox-producer-dev libdevel
  "C++ helper to write outboxd events inside a libpqxx transaction"
  "outbox::producer writes outbox events into the outboxd PostgreSQL outbox table\ninside the application's own libpqxx transaction. A static library with its\nheaders and the CMake package OutboxProducer."
  ${PROJECT_SOURCE_DIR}/producer/README.md ${PROJECT_SOURCE_DIR}/docs/producers.md)
# The conformance kit (outbox_add_conformance_test) builds on GoogleTest; plugins need not use it.
set(CPACK_DEBIAN_SDK_PACKAGE_RECOMMENDS "libgtest-dev")
set(CPACK_RPM_SDK_PACKAGE_SUGGESTS "gtest-devel")
# Its CMake package finds libpqxx through pkg-config; outbox/uuid_v7.hpp comes from the SDK.
set(CPACK_DEBIAN_LIBOUTBOX-PRODUCER-DEV_PACKAGE_DEPENDS
  "outboxd-dev (= ${PROJECT_VERSION}), libpqxx-dev (>= 6.4), pkgconf | pkg-config")
set(CPACK_RPM_LIBOUTBOX-PRODUCER-DEV_PACKAGE_REQUIRES
  "outboxd-devel = ${PROJECT_VERSION}, libpqxx-devel >= 6.4, pkgconfig")

if(OUTBOXD_PACKAGE_FORMAT STREQUAL "deb")
  file(MAKE_DIRECTORY ${CMAKE_BINARY_DIR}/packaging)
  execute_process(COMMAND gzip -9n -c ${PROJECT_SOURCE_DIR}/packaging/changelog
    OUTPUT_FILE ${CMAKE_BINARY_DIR}/packaging/changelog.gz COMMAND_ERROR_IS_FATAL ANY)
endif()
include(CPack)
