# Script-driven tests: they drive the built programs the way admins and Postfix do.
# Exit code 77 means "skipped" (a prerequisite such as ../shared is absent), and says why.
find_package(Python3 REQUIRED COMPONENTS Interpreter)
set(MUGAI_BIN $<TARGET_FILE:mugai>)
set(MUGAI_MILTER_BIN $<TARGET_FILE:mugai-milter>)

function(mugai_script_test name)
  add_test(NAME ${name} COMMAND ${ARGN})
  set_tests_properties(${name} PROPERTIES SKIP_RETURN_CODE 77
    ENVIRONMENT "MUGAI=${MUGAI_BIN};MUGAI_MILTER=${MUGAI_MILTER_BIN};MUGAI_ROOT=${CMAKE_SOURCE_DIR};MUGAI_BUILD=${CMAKE_BINARY_DIR}")
endfunction()

mugai_script_test(golden ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/golden/run_golden.py ${MUGAI_BIN})
mugai_script_test(cli ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/cli/test_cli.py)
mugai_script_test(corpus_public ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/corpus/check_public_corpus.py)
mugai_script_test(milter_protocol ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/milter/test_milter_protocol.py)
mugai_script_test(e2e_postfix ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/e2e/test_postfix_e2e.py)
mugai_script_test(fault_unwritable_spool ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/fault/test_unwritable_spool.py)
set_tests_properties(e2e_postfix fault_unwritable_spool PROPERTIES RESOURCE_LOCK postfix_lab TIMEOUT 600)
mugai_script_test(e2e_scan ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/e2e/test_scan_e2e.py)
set_tests_properties(e2e_scan PROPERTIES RESOURCE_LOCK postfix_lab TIMEOUT 300)
mugai_script_test(e2e_config_reload ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/e2e/test_config_reload_e2e.py)
set_tests_properties(e2e_config_reload PROPERTIES RESOURCE_LOCK postfix_lab TIMEOUT 300)
mugai_script_test(e2e_gateway ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/e2e/test_gateway_e2e.py)
set_tests_properties(e2e_gateway PROPERTIES RESOURCE_LOCK postfix_lab TIMEOUT 300)
mugai_script_test(scan_mail ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/scan/test_scan_mail.py)
mugai_script_test(hostile ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/hostile/test_hostile.py)
mugai_script_test(hostile_engine_rules ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/hostile/test_engine_rules.py)
add_test(NAME lint/banned_functions COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/lint/banned_functions.sh ${CMAKE_SOURCE_DIR})
