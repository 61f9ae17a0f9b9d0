# outbox_set_warnings(target): the project's warning set; errors only when
# OUTBOXD_WARNINGS_AS_ERRORS is on (the presets and CI). (No -Wnull-dereference: with -O2, GCC 12
# reports false positives inside libstdc++ code inlined from CLI11.)
function(outbox_set_warnings target)
  target_compile_options(${target} PRIVATE
    -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wold-style-cast -Wcast-align
    -Woverloaded-virtual -Wconversion -Wsign-conversion -Wdouble-promotion
    -Wformat=2 -Wimplicit-fallthrough -Wsuggest-override -Wmisleading-indentation
    $<$<BOOL:${OUTBOXD_WARNINGS_AS_ERRORS}>:-Werror>)
endfunction()
