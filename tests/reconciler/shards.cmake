# Shards (--shard I/N): the namespace assignment, and four loops sharing one
# deploy branch.
gc_add_test(reconciler shard LIBS gc_reconciler)
gc_add_test(reconciler shards LIBS gc_reconciler LABEL integration TIMEOUT 900)
