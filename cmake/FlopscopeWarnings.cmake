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
  # float-cast-overflow is not in 'undefined': a huge double read from a file
  # and cast to an integer is exactly the bad input these tests feed.
  add_compile_options($<$<COMPILE_LANGUAGE:CXX>:-fsanitize=address,undefined,float-cast-overflow>
                      $<$<COMPILE_LANGUAGE:CXX>:-fno-omit-frame-pointer>
                      $<$<COMPILE_LANGUAGE:CXX>:-fno-sanitize-recover=undefined,float-cast-overflow>)
  add_link_options(-fsanitize=address,undefined,float-cast-overflow)
  # Executables link without PIE here: relocating a sanitized binary at start
  # cost each process ~45 ms (the CLI's is 160 MB), and the CPU tests start
  # about a thousand. Release builds keep PIE.
  add_link_options($<$<STREQUAL:$<TARGET_PROPERTY:TYPE>,EXECUTABLE>:-no-pie>)
endif()

if(FLOPSCOPE_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "FLOPSCOPE_FUZZ needs clang for libFuzzer: configure with -DCMAKE_CXX_COMPILER=clang++")
  endif()
  # Coverage for libFuzzer in every host target (the fuzzers link -fsanitize=fuzzer,
  # tests/fuzz/CMakeLists.txt), and the sanitizers that turn bugs into crashes.
  add_compile_options($<$<COMPILE_LANGUAGE:CXX>:-fsanitize=fuzzer-no-link,address,undefined,float-cast-overflow>
                      $<$<COMPILE_LANGUAGE:CXX>:-fno-omit-frame-pointer>
                      $<$<COMPILE_LANGUAGE:CXX>:-fno-sanitize-recover=undefined,float-cast-overflow>)
  add_link_options(-fsanitize=address,undefined,float-cast-overflow)
endif()
