# Compiler settings shared by kvbench's build (CMakeLists.txt) and awdb's
# build on its own (backends/awdb/CMakeLists.txt): C11, the warnings,
# KVB_WERROR and the KVB_SANITIZE builds.
set(CMAKE_C_STANDARD 11)
set(CMAKE_C_STANDARD_REQUIRED ON)
set(CMAKE_C_EXTENSIONS OFF)
if(NOT CMAKE_BUILD_TYPE)
  set(CMAKE_BUILD_TYPE RelWithDebInfo)
endif()

set(KVB_SANITIZE "" CACHE STRING "Sanitizer build: address (ASan+UBSan) or thread (TSan)")

# Warnings never break a user's build: -Werror is KVB_WERROR, which CI and
# developers turn on (.ci/run builds gcc Debug, RelWithDebInfo, Release and
# clang with it). Messages are built with snprintf into fixed buffers and
# truncated on purpose, so GCC's guesses about truncation are not warnings
# here (clang has no such warning).
option(KVB_WERROR "Treat compiler warnings as errors (CI and developers)" OFF)
add_compile_options(-Wall -Wextra -D_GNU_SOURCE)
if(CMAKE_C_COMPILER_ID STREQUAL "GNU")
  add_compile_options(-Wno-format-truncation)
endif()
if(KVB_WERROR)
  add_compile_options(-Werror)
endif()
if(KVB_SANITIZE STREQUAL "address")
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=address,undefined)
elseif(KVB_SANITIZE STREQUAL "thread")
  add_compile_options(-fsanitize=thread -fno-omit-frame-pointer)
  add_link_options(-fsanitize=thread)
elseif(NOT KVB_SANITIZE STREQUAL "")
  message(FATAL_ERROR "KVB_SANITIZE must be empty, 'address' or 'thread', not '${KVB_SANITIZE}'")
endif()
