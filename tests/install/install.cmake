# The files `cmake --install` puts beside the binary (cmake/GcInstall.cmake):
# man pages and completions generated from every command's --help.
include(GNUInstallDirs)
add_test(NAME install.cli_files
	COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/install/check-cli-files.sh
		${CMAKE_BINARY_DIR} ${CMAKE_INSTALL_PREFIX} ${CMAKE_INSTALL_BINDIR}
		${CMAKE_INSTALL_MANDIR} ${CMAKE_INSTALL_DATADIR})
set_tests_properties(install.cli_files PROPERTIES LABELS unit TIMEOUT 120)
