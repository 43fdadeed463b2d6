# repo-layout/git.c: local repositories (unit) and file:// / http:// remotes (integration).
gc_add_test(repo-layout git LIBS gc_layout)
gc_add_test(repo-layout git_remote LIBS gc_layout PkgConfig::MHD LABEL integration TIMEOUT 180)
