# streamswarm_add_test(<name> SOURCES <files...> [LINK <targets...>] [LABELS <labels...>]
#                      [TIMEOUT <seconds>] [RUN_SERIAL])
# One Boost.Test executable, registered with ctest. Label "unit" marks the tests that also run
# under the ASan+UBSan preset; "integration" marks tests that start real processes.
function(streamswarm_add_test name)
  cmake_parse_arguments(T "RUN_SERIAL" "TIMEOUT" "SOURCES;LINK;LABELS" ${ARGN})
  add_executable(${name} ${T_SOURCES})
  target_link_libraries(${name} PRIVATE Boost::unit_test_framework ${T_LINK})
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR})
  target_compile_definitions(${name} PRIVATE BOOST_TEST_DYN_LINK)
  set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/tests)
  add_test(NAME ${name} COMMAND ${name} --log_level=message)
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 300)
  endif()
  set_tests_properties(${name} PROPERTIES TIMEOUT ${T_TIMEOUT} LABELS "${T_LABELS}"
    ENVIRONMENT "STREAMSWARM_BUILD_DIR=${PROJECT_BINARY_DIR};STREAMSWARM_SOURCE_DIR=${PROJECT_SOURCE_DIR}")
  if(T_RUN_SERIAL)
    set_tests_properties(${name} PROPERTIES RUN_SERIAL ON)
  endif()
endfunction()
