# repo-layout/flux.c and envsubst.c: Flux Kustomizations (strict parse, the
# kustomization Flux builds, postBuild variables, substitution, commonMetadata).
gc_add_test(repo-layout flux LIBS gc_layout)
