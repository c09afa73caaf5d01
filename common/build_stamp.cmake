# Writes OUTPUT (build_stamp.h) with the source tree's git commit, rewriting
# it only when the commit changes (so a rebuild recompiles one file). Without
# a checkout (a Docker build context), ARGUS_BUILD_COMMIT from the
# environment names it.
set(commit "$ENV{ARGUS_BUILD_COMMIT}")
if(commit STREQUAL "")
  execute_process(COMMAND git -C "${SOURCE_DIR}" rev-parse --short=12 HEAD
    OUTPUT_VARIABLE commit OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET RESULT_VARIABLE failed)
  if(failed OR commit STREQUAL "")
    set(commit "unknown")
  else()
    execute_process(COMMAND git -C "${SOURCE_DIR}" diff --quiet HEAD --
      RESULT_VARIABLE dirty ERROR_QUIET)
    if(dirty)
      string(APPEND commit "-dirty")
    endif()
  endif()
endif()
file(WRITE "${OUTPUT}.tmp" "#define ARGUS_BUILD_COMMIT \"${commit}\"\n")
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUTPUT}.tmp")
