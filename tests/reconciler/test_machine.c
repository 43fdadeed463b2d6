#include "harness.h"
static Suite *gc_suite_machine(void){return suite_create("machine");}
GC_TEST_MAIN(gc_suite_machine)
