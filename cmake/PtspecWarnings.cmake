# Warnings are errors in our own code only (third-party headers are SYSTEM).
function(ptspec_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Werror)
endfunction()
