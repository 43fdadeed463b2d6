# repo-layout/sshsig.c against OpenSSH's ssh-keygen (keys made at run time),
# and signed commits (git_sign.c) against git's verify-commit.
gc_add_test(repo-layout sshsig LIBS gc_layout)
gc_add_test(repo-layout git_sign LIBS gc_layout)
