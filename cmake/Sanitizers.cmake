# HV_SANITIZER picks one sanitizer family; they cannot be combined with
# each other, so "address" means address+undefined and "thread" stands alone.
if(HV_SANITIZER STREQUAL "address")
  set(HV_SAN_FLAGS -fsanitize=address,undefined)
elseif(HV_SANITIZER STREQUAL "thread")
  set(HV_SAN_FLAGS -fsanitize=thread)
elseif(NOT HV_SANITIZER STREQUAL "none")
  message(FATAL_ERROR "HV_SANITIZER must be none, address or thread")
endif()

if(HV_SAN_FLAGS)
  add_compile_options(${HV_SAN_FLAGS} -fno-omit-frame-pointer
    -fno-sanitize-recover=all)
  add_link_options(${HV_SAN_FLAGS})
endif()
