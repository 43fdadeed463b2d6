# -DGC_SANITIZE=address,undefined
if(GC_SANITIZE)
	add_compile_options(-fsanitize=${GC_SANITIZE} -fno-sanitize-recover=all
		-fno-omit-frame-pointer -g)
	add_link_options(-fsanitize=${GC_SANITIZE})
endif()
