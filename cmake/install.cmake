# What `cmake --install` puts beside the binary and the templates (bot/app/CMakeLists.txt): the
# systemd unit, the example configuration and the admin's documentation.
include(GNUInstallDirs)

# systemd's own folder (pkg-config) for a /usr install, else lib/systemd/system under the prefix
# (/usr/local/lib/systemd/system is on systemd's search path too).
set(REFLEXBOT_SYSTEMD_UNIT_DIR "" CACHE PATH
  "Folder for reflexbot.service (default: systemd's for prefix /usr, else PREFIX/lib/systemd/system)")
set(reflexbot_unit_dir "${REFLEXBOT_SYSTEMD_UNIT_DIR}")
if(NOT reflexbot_unit_dir)
  set(reflexbot_unit_dir "lib/systemd/system")
  if(CMAKE_INSTALL_PREFIX STREQUAL "/usr")
    find_package(PkgConfig QUIET)
    if(PKG_CONFIG_FOUND)
      pkg_get_variable(reflexbot_pc_unit_dir systemd systemdsystemunitdir)
      if(reflexbot_pc_unit_dir)
        set(reflexbot_unit_dir "${reflexbot_pc_unit_dir}")
      endif()
    endif()
  endif()
endif()

# The unit names /usr/bin/reflexbot and /usr/share/doc/reflexbot; cmake/install_unit.cmake puts in
# the paths of the prefix given at install time (cmake --install --prefix).
install(CODE "
set(REFLEXBOT_UNIT_SOURCE \"${PROJECT_SOURCE_DIR}/systemd/reflexbot.service\")
set(REFLEXBOT_UNIT_DIR \"${reflexbot_unit_dir}\")
set(REFLEXBOT_BINDIR \"${CMAKE_INSTALL_BINDIR}\")
set(REFLEXBOT_DOCDIR \"${CMAKE_INSTALL_DOCDIR}\")
")
install(SCRIPT ${CMAKE_CURRENT_LIST_DIR}/install_unit.cmake)

# Debian's place for examples; the admin copies it to /etc/reflexbot/reflexbot.yaml.
install(FILES ${PROJECT_SOURCE_DIR}/config/reflexbot.example.yaml
  DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples RENAME reflexbot.yaml)
install(FILES ${PROJECT_SOURCE_DIR}/config/prometheus/reflexbot-alerts.yml
  DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)
install(FILES ${PROJECT_SOURCE_DIR}/docs/operations.md ${PROJECT_SOURCE_DIR}/docs/data-protection.md
  ${PROJECT_SOURCE_DIR}/README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
