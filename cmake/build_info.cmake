# Writes OUT (a C++ file defining ctana::cli::kGitCommit) at build time: the commit of SRC when
# it is a git checkout of ctana (12 hex digits, "-dirty" with uncommitted changes), the value of
# CTANA_GIT_COMMIT when given (e.g. by a packager building from a tarball), else "unknown".
# The file is rewritten only when the text changes, so a build without changes recompiles nothing.
set(commit "unknown")
if(DEFINED GIT_COMMIT AND NOT GIT_COMMIT STREQUAL "")
  set(commit "${GIT_COMMIT}")
else()
  find_program(GIT git)
  if(GIT)
    execute_process(COMMAND "${GIT}" -C "${SRC}" rev-parse --show-toplevel
                    OUTPUT_VARIABLE top RESULT_VARIABLE rc OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
    if(rc EQUAL 0)
      file(REAL_PATH "${top}" top)
      file(REAL_PATH "${SRC}" src)
    endif()
    # only the commit of ctana itself, not of some repository the sources were unpacked in
    if(rc EQUAL 0 AND top STREQUAL src)
      execute_process(COMMAND "${GIT}" -C "${SRC}" rev-parse --short=12 HEAD
                      OUTPUT_VARIABLE head RESULT_VARIABLE rc OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
      if(rc EQUAL 0 AND NOT head STREQUAL "")
        set(commit "${head}")
        execute_process(COMMAND "${GIT}" -C "${SRC}" diff --quiet HEAD -- RESULT_VARIABLE dirty ERROR_QUIET)
        if(NOT dirty EQUAL 0)
          string(APPEND commit "-dirty")
        endif()
      endif()
    endif()
  endif()
endif()
string(REGEX REPLACE "[^0-9A-Za-z._+-]" "" commit "${commit}")
set(text "// Generated at build time by cmake/build_info.cmake.\nnamespace ctana::cli {\nextern const char* const kGitCommit;\nconst char* const kGitCommit = \"${commit}\";\n}  // namespace ctana::cli\n")
if(EXISTS "${OUT}")
  file(READ "${OUT}" old)
endif()
if(NOT old STREQUAL text)
  file(WRITE "${OUT}" "${text}")
endif()
