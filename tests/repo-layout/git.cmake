# repo-layout/git.c: local repositories (unit), file:// / http:// and ssh:// remotes (integration).
gc_add_test(repo-layout git LIBS gc_layout)
gc_add_test(repo-layout git_remote LIBS gc_layout PkgConfig::MHD LABEL integration TIMEOUT 180)
set_tests_properties(repo-layout.git_remote PROPERTIES ENVIRONMENT
	"LSAN_OPTIONS=suppressions=${CMAKE_CURRENT_LIST_DIR}/lsan-libgit2.supp")
# ssh:// through a private sshd on loopback (scripts/setup.sh installs openssh-server).
gc_add_test(repo-layout git_ssh LIBS gc_layout LABEL integration TIMEOUT 300)
set_tests_properties(repo-layout.git_ssh PROPERTIES ENVIRONMENT
	"LSAN_OPTIONS=suppressions=${CMAKE_CURRENT_LIST_DIR}/lsan-libgit2-ssh.supp:fast_unwind_on_malloc=0:print_suppressions=0")
