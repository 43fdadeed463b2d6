# What `cmake --install` puts where (GNUInstallDirs, under
# CMAKE_INSTALL_PREFIX), and the .deb `cpack -G DEB` makes of the same
# (docs/operations.md#install):
#
#   bin/gitcanary
#   share/man/man1/gitcanary.1.gz, gitcanary-<command>.1.gz
#   share/bash-completion/completions/gitcanary
#   share/zsh/vendor-completions/_gitcanary
#   lib/systemd/system/gitcanary.service   (GC_SYSTEMD_UNIT_DIR)
#   /etc/default/gitcanary                 (prefix /usr; else etc/default)
#
# The man pages and completions are generated from the built gitcanary's
# --help after every link (scripts/gen-cli-files.sh), never checked in.
include(GNUInstallDirs)

set(GC_SYSTEMD_UNIT_DIR "lib/systemd/system" CACHE STRING
	"Where gitcanary.service goes, relative to the prefix or absolute")
if(CMAKE_INSTALL_PREFIX STREQUAL "/usr")
	set(GC_DEFAULT_DIR /etc/default)
else()
	set(GC_DEFAULT_DIR ${CMAKE_INSTALL_SYSCONFDIR}/default)
endif()
set(GC_DEFAULT_FILE ${CMAKE_INSTALL_FULL_SYSCONFDIR}/default/gitcanary)

set(GC_CLI_FILES ${CMAKE_BINARY_DIR}/cli-files)
add_custom_command(OUTPUT ${GC_CLI_FILES}/stamp
	COMMAND ${CMAKE_COMMAND} -E rm -rf ${GC_CLI_FILES}
	COMMAND ${CMAKE_SOURCE_DIR}/scripts/gen-cli-files.sh
		$<TARGET_FILE:gitcanary> ${GC_CLI_FILES}
	COMMAND ${CMAKE_COMMAND} -E touch ${GC_CLI_FILES}/stamp
	DEPENDS gitcanary ${CMAKE_SOURCE_DIR}/scripts/gen-cli-files.sh
	COMMENT "Generating the man pages and completions from gitcanary --help"
	VERBATIM)
add_custom_target(gc_cli_files ALL DEPENDS ${GC_CLI_FILES}/stamp)

configure_file(${CMAKE_SOURCE_DIR}/packaging/gitcanary.service.in
	${CMAKE_BINARY_DIR}/packaging/gitcanary.service @ONLY)

install(TARGETS gitcanary RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY ${GC_CLI_FILES}/man1/
	DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
install(FILES ${GC_CLI_FILES}/bash/gitcanary
	DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions)
install(FILES ${GC_CLI_FILES}/zsh/_gitcanary
	DESTINATION ${CMAKE_INSTALL_DATADIR}/zsh/vendor-completions)
install(FILES ${CMAKE_BINARY_DIR}/packaging/gitcanary.service
	DESTINATION ${GC_SYSTEMD_UNIT_DIR})
install(FILES ${CMAKE_SOURCE_DIR}/packaging/default
	DESTINATION ${GC_DEFAULT_DIR} RENAME gitcanary)

# The .deb: Depends from dpkg-shlibdeps plus adduser (postinst); Recommends
# ca-certificates (https:// remotes, Prometheus, webhooks); Suggests git and
# openssh-client (ssh-keyscan for known_hosts). Debian 12 has no kustomize,
# and its kubectl (kubernetes-client 1.20) embeds kustomize v2, too old for
# overlays: neither can be named here.
configure_file(${CMAKE_SOURCE_DIR}/packaging/debian/conffiles.in
	${CMAKE_BINARY_DIR}/packaging/debian/conffiles @ONLY)
configure_file(${CMAKE_SOURCE_DIR}/packaging/CPackOptions.cmake.in
	${CMAKE_BINARY_DIR}/packaging/CPackOptions.cmake @ONLY)
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME gitcanary)
set(CPACK_PACKAGE_CONTACT "gitcanary maintainers <gitcanary@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
	"progressive delivery (canary, A/B, blue/green) through git")
set(CPACK_PACKAGE_DESCRIPTION
"gitcanary reads Flagger-style Canary manifests from a git repository and
runs each release by committing fully rendered Kubernetes manifests to a
deploy branch that Flux or Argo CD applies. The package installs the
command, its man pages and completions, and gitcanary.service.")
set(CPACK_PACKAGING_INSTALL_PREFIX ${CMAKE_INSTALL_PREFIX})
set(CPACK_PROJECT_CONFIG_FILE ${CMAKE_BINARY_DIR}/packaging/CPackOptions.cmake)
set(CPACK_STRIP_FILES TRUE)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS adduser)
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS ca-certificates)
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "git, openssh-client")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
	${CMAKE_SOURCE_DIR}/packaging/debian/postinst
	${CMAKE_SOURCE_DIR}/packaging/debian/prerm
	${CMAKE_SOURCE_DIR}/packaging/debian/postrm
	${CMAKE_BINARY_DIR}/packaging/debian/conffiles)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION TRUE)
include(CPack)
