#ifndef GC_REPO_LAYOUT_FLUX_INTERNAL_H
#define GC_REPO_LAYOUT_FLUX_INTERNAL_H

/*
 * What flux.c and flux_schema.c share; nothing outside repo-layout/flux*.c
 * includes it (the contract is flux.h).
 */

#include "repo-layout/doc.h"
#include "repo-layout/source.h"

/*
 * Checks doc (a Kustomization) against the v1 CRD strictly: unknown
 * fields, types, required fields, enums, patterns, lengths. Adds one
 * located problem per error and returns their number.
 */
int gc_flux__check_schema(const gc_doc *doc, gc_problems *problems);

#endif
