# Host code builds with warnings as errors. CUDA translation units get the same
# flags forwarded to the host compiler, minus what nvcc-generated code trips.
function(flopscope_host_warnings target)
  target_compile_options(${target} PRIVATE
    $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra -Werror -Wshadow -Wnon-virtual-dtor -Wpedantic>)
endfunction()

function(flopscope_cuda_warnings target)
  target_compile_options(${target} PRIVATE
    $<$<COMPILE_LANGUAGE:CUDA>:-Werror=all-warnings -Xcompiler=-Wall,-Wextra --expt-relaxed-constexpr>)
endfunction()

if(FLOPSCOPE_SANITIZE)
  # Applied to every host target; CUDA device code is not built in this mode.
  add_compile_options($<$<COMPILE_LANGUAGE:CXX>:-fsanitize=address,undefined>
                      $<$<COMPILE_LANGUAGE:CXX>:-fno-omit-frame-pointer>
                      $<$<COMPILE_LANGUAGE:CXX>:-fno-sanitize-recover=undefined>)
  add_link_options(-fsanitize=address,undefined)
endif()
