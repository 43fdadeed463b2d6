# repo-layout/doc.c: node positions (packing, sealing, copies).
gc_add_test(repo-layout doc LIBS gc_layout)
