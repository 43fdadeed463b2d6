# Shards (--shard I/N): the namespace assignment, and four loops sharing one
# deploy branch.
gc_add_test(reconciler shard LIBS gc_reconciler)
