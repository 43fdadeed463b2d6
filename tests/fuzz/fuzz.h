#ifndef GC_TESTS_FUZZ_H
#define GC_TESTS_FUZZ_H

/*
 * libFuzzer targets (clang, -fsanitize=fuzzer), built with
 * -DGC_BUILD_FUZZERS=ON by scripts/fuzz.sh. Each target is one parser or
 * transform fed with arbitrary bytes; besides ASan/UBSan it checks the
 * promises of issue 15 (one-line messages, positions inside the input,
 * valid UTF-8) and aborts with FUZZ_CHECK when one is broken.
 */

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond)                                                 \
	do {                                                             \
		if (!(cond)) {                                           \
			fprintf(stderr, "%s:%d: broken: %s\n", __FILE__, \
				__LINE__, #cond);                        \
			abort();                                         \
		}                                                        \
	} while (0)

#endif
