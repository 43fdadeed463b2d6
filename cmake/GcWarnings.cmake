# The warning set of shared/style.md §2.6 plus -Wconversion and -Wcast-qual
# (the picky set, as curl's), probed flag by flag.
include(CheckCCompilerFlag)
set(GC_WARNING_FLAGS
	-Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes -Wmissing-prototypes
	-Wold-style-definition -Wdeclaration-after-statement -Wpointer-arith
	-Wwrite-strings -Wundef -Wvla -Wformat=2 -Wformat-security
	-Wimplicit-fallthrough -Wnull-dereference -Wdouble-promotion -Wcast-align
	-Wconversion -Wcast-qual
	-fno-common)
set(GC_WARNINGS "")
foreach(flag ${GC_WARNING_FLAGS})
	string(MAKE_C_IDENTIFIER "HAVE${flag}" var)
	check_c_compiler_flag(${flag} ${var})
	if(${var})
		list(APPEND GC_WARNINGS ${flag})
	endif()
endforeach()

function(gc_target_warnings target)
	target_compile_options(${target} PRIVATE ${GC_WARNINGS})
	if(GC_WERROR)
		set_target_properties(${target} PROPERTIES COMPILE_WARNING_AS_ERROR ON)
	endif()
endfunction()
