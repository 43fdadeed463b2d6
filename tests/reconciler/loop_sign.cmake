# --signing-key end to end: a release whose deploy and notes commits git and
# ssh-keygen verify; unsigned without a key; bad key files refused at start.
gc_add_test(reconciler loop_sign LIBS gc_reconciler LABEL integration TIMEOUT 300)
