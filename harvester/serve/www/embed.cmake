# Embeds the operator page (harvester/serve/www) into hvcore: a build
# step turns each file into a C array in www_assets.c, so the binary
# needs no files beside it. Included from harvester/CMakeLists.txt after
# hvcore is defined.
set(HV_WWW_DIR ${CMAKE_CURRENT_SOURCE_DIR}/serve/www)
set(HV_WWW_FILES ${HV_WWW_DIR}/index.html ${HV_WWW_DIR}/app.js
    ${HV_WWW_DIR}/style.css)
set(HV_WWW_C ${CMAKE_CURRENT_BINARY_DIR}/www_assets.c)
add_custom_command(
  OUTPUT ${HV_WWW_C}
  COMMAND ${CMAKE_COMMAND} -DWWW_DIR=${HV_WWW_DIR} -DOUT=${HV_WWW_C}
          -P ${HV_WWW_DIR}/embed_assets.cmake
  DEPENDS ${HV_WWW_FILES} ${HV_WWW_DIR}/embed_assets.cmake
  COMMENT "Embedding the operator page")
target_sources(hvcore PRIVATE ${HV_WWW_C})
