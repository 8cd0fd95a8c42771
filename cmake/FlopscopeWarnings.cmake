# Host code builds with warnings as errors. CUDA translation units get the same
# flags forwarded to the host compiler, minus what nvcc-generated code trips.
# FLOPSCOPE_WERROR=OFF keeps the warnings but not as errors.
function(flopscope_host_warnings target)
  target_compile_options(${target} PRIVATE
    $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra -Wshadow -Wnon-virtual-dtor -Wpedantic>
    $<$<AND:$<COMPILE_LANGUAGE:CXX>,$<BOOL:${FLOPSCOPE_WERROR}>>:-Werror>)
endfunction()

function(flopscope_cuda_warnings target)
  target_compile_options(${target} PRIVATE
    $<$<COMPILE_LANGUAGE:CUDA>:-Xcompiler=-Wall,-Wextra --expt-relaxed-constexpr>
    $<$<AND:$<COMPILE_LANGUAGE:CUDA>,$<BOOL:${FLOPSCOPE_WERROR}>>:-Werror=all-warnings>)
endfunction()

if(FLOPSCOPE_SANITIZE)
  # Applied to every host target; CUDA device code is not built in this mode.
  add_compile_options($<$<COMPILE_LANGUAGE:CXX>:-fsanitize=address,undefined>
                      $<$<COMPILE_LANGUAGE:CXX>:-fno-omit-frame-pointer>
                      $<$<COMPILE_LANGUAGE:CXX>:-fno-sanitize-recover=undefined>)
  add_link_options(-fsanitize=address,undefined)
endif()
