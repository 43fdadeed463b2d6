gc_add_test(reconciler validate LIBS gc_reconciler LABEL integration TIMEOUT 300)
# The option parsing of the read-only commands, through the binary.
gc_add_test(reconciler cli LIBS gc_reconciler)
