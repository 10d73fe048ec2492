# Install-time part of cmake/install.cmake: writes reflexbot.service with the installed paths.
# Expects REFLEXBOT_UNIT_SOURCE, REFLEXBOT_UNIT_DIR, REFLEXBOT_BINDIR and REFLEXBOT_DOCDIR.
set(unit_dir "${REFLEXBOT_UNIT_DIR}")
if(NOT IS_ABSOLUTE "${unit_dir}")
  set(unit_dir "${CMAKE_INSTALL_PREFIX}/${unit_dir}")
endif()
file(READ "${REFLEXBOT_UNIT_SOURCE}" unit)
string(REPLACE "/usr/bin/reflexbot" "${CMAKE_INSTALL_PREFIX}/${REFLEXBOT_BINDIR}/reflexbot"
  unit "${unit}")
string(REPLACE "/usr/share/doc/reflexbot/" "${CMAKE_INSTALL_PREFIX}/${REFLEXBOT_DOCDIR}/"
  unit "${unit}")
set(unit_file "$ENV{DESTDIR}${unit_dir}/reflexbot.service")
message(STATUS "Installing: ${unit_file}")
file(WRITE "${unit_file}" "${unit}")
file(CHMOD "${unit_file}" PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
list(APPEND CMAKE_INSTALL_MANIFEST_FILES "${unit_file}")
