# Picky warnings for our own code only; third-party headers come in as
# system includes through the imported pkg-config targets.
set(HV_WARNING_FLAGS
  -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes
  -Wmissing-prototypes -Wpointer-arith -Wformat=2 -Wundef
  -Wno-unused-parameter)
if(HV_WERROR)
  list(APPEND HV_WARNING_FLAGS -Werror)
endif()

# Applies the project's warning flags to a target.
function(hv_target_warnings target)
  target_compile_options(${target} PRIVATE ${HV_WARNING_FLAGS})
endfunction()
