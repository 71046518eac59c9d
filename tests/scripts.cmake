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
mugai_script_test(cli_config_diff ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/cli/test_config_diff.py)
mugai_script_test(cli_lists ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/cli/test_lists.py)
mugai_script_test(cli_quarantine ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/cli/test_quarantine.py)
mugai_script_test(cli_quarantine_pg ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/cli/test_quarantine_pg.py)
mugai_script_test(cli_contacts ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/cli/test_contacts.py)
mugai_script_test(cli_contacts_pg ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/cli/test_contacts_pg.py)
set_tests_properties(cli_quarantine_pg PROPERTIES TIMEOUT 600)
mugai_script_test(corpus_public ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/corpus/check_public_corpus.py)
mugai_script_test(milter_protocol ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/milter/test_milter_protocol.py)
mugai_script_test(milter_stop ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/milter/test_milter_stop.py)
mugai_script_test(milter_quarantine ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/milter/test_quarantine_milter.py)
mugai_script_test(milter_quarantine_pg ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/milter/test_quarantine_milter_pg.py)
set_tests_properties(milter_quarantine_pg PROPERTIES TIMEOUT 300)
mugai_script_test(e2e_postfix ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/e2e/test_postfix_e2e.py)
mugai_script_test(fault_unwritable_spool ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/fault/test_unwritable_spool.py)
set_tests_properties(e2e_postfix fault_unwritable_spool PROPERTIES TIMEOUT 600)
mugai_script_test(e2e_scan ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/e2e/test_scan_e2e.py)
set_tests_properties(e2e_scan PROPERTIES TIMEOUT 300)
mugai_script_test(e2e_config_reload ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/e2e/test_config_reload_e2e.py)
set_tests_properties(e2e_config_reload PROPERTIES TIMEOUT 300)
mugai_script_test(e2e_gateway ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/e2e/test_gateway_e2e.py)
set_tests_properties(e2e_gateway PROPERTIES TIMEOUT 300)
mugai_script_test(e2e_contacts ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/e2e/test_contacts_e2e.py)
set_tests_properties(e2e_contacts PROPERTIES TIMEOUT 300)
mugai_script_test(e2e_ratelimit ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/e2e/test_ratelimit_e2e.py)
set_tests_properties(e2e_ratelimit PROPERTIES TIMEOUT 300)
mugai_script_test(scan_mail ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/scan/test_scan_mail.py)
mugai_script_test(policy_autoforward ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/policy/test_autoforward.py)
mugai_script_test(policy_outbound ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/policy/test_outbound_rules.py)
mugai_script_test(policy_impersonation ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/policy/test_impersonation.py)
mugai_script_test(policy_rules ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/policy/test_rules.py)
mugai_script_test(policy_first_contact ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/policy/test_first_contact.py)
mugai_script_test(policy_notification ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/policy/test_notification.py)
mugai_script_test(policy_authentication ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/policy/test_authentication.py)
mugai_script_test(hostile ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/hostile/test_hostile.py)
mugai_script_test(hostile_engine_rules ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/hostile/test_engine_rules.py)
mugai_script_test(docs_man_page ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/docs/test_man_page.py)
mugai_script_test(docs_program_man_pages ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/docs/test_program_man_pages.py)
add_test(NAME lint/banned_functions COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/lint/banned_functions.sh ${CMAKE_SOURCE_DIR})
mugai_script_test(e2e_quarantine ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/e2e/test_quarantine_e2e.py)
set_tests_properties(e2e_quarantine PROPERTIES TIMEOUT 300)
# The converter worker and its spawner on generated documents (tests/convert/make_docs.py).
mugai_script_test(convert_worker ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/convert/test_convert_worker.py)
set_property(TEST convert_worker APPEND PROPERTY ENVIRONMENT
  "MUGAI_CONVERT=$<TARGET_FILE:mugai-convert>;MUGAI_BENCH_CONVERT=$<TARGET_FILE:bench_convert>;MUGAI_CONVERT_DOCS=${MUGAI_CONVERT_DOCS};MUGAI_SANITIZE=${MUGAI_SANITIZE}")
set_tests_properties(convert_worker PROPERTIES FIXTURES_REQUIRED convert_docs TIMEOUT 300)
# Attachments turned into text through `mugai sanitize` with the real worker.
mugai_script_test(convert_sanitize ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/convert/test_sanitize_convert.py)
set_property(TEST convert_sanitize APPEND PROPERTY ENVIRONMENT "MUGAI_CONVERT_DOCS=${MUGAI_CONVERT_DOCS}")
set_tests_properties(convert_sanitize PROPERTIES FIXTURES_REQUIRED convert_docs TIMEOUT 300)
# Two gateway hosts (two Postfix + mugai-milter) sharing one clamd (issue 9).
mugai_script_test(e2e_two_hosts_clamd ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/e2e/test_two_hosts_clamd_e2e.py)
set_tests_properties(e2e_two_hosts_clamd PROPERTIES TIMEOUT 300)
# Attachments into text through the real Postfix, with the real mugai-convert beside mugai-milter.
mugai_script_test(e2e_convert ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/e2e/test_convert_e2e.py)
set_tests_properties(e2e_convert PROPERTIES TIMEOUT 300)
# Two gateway hosts storing in one PostgreSQL quarantine and scanning with one clamd (issue 9).
mugai_script_test(e2e_two_hosts ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/e2e/test_two_hosts_e2e.py)
set_tests_properties(e2e_two_hosts PROPERTIES TIMEOUT 240)
# Fault tests (issue 10): kill -9 under load, full disks, unreadable signatures, a locked SQLite
# index. The soak (tests/fault/soak.py --minutes 10) is too long for CI and is run by hand.
mugai_script_test(fault_kill_milter ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/fault/test_kill_milter.py)
mugai_script_test(fault_disk_full ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/fault/test_disk_full.py)
mugai_script_test(fault_signatures ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/fault/test_engine_faults.py Signatures)
mugai_script_test(fault_sqlite_locked ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/fault/test_engine_faults.py SqliteLocked)
mugai_script_test(fault_clamd_killed ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/fault/test_engine_faults.py ClamdKilled)
set_tests_properties(fault_kill_milter fault_disk_full fault_signatures fault_sqlite_locked
  fault_clamd_killed PROPERTIES TIMEOUT 300)

# CI runs ctest in parallel (tests/run.sh: -j 2×cores). A test's PROCESSORS is its share of that
# budget: a Postfix lab (Postfix, sink, mugai-milter, often clamd or PostgreSQL) and the CPU-bound
# corpus runs (whose attachment conversions have wall-clock timeouts) take two, so at most two
# of them run at once and their timing stays what it is alone.
# Every lab has its own directory and ports, so nothing else keeps them apart.
set_tests_properties(e2e_postfix fault_unwritable_spool e2e_scan e2e_config_reload e2e_gateway
  e2e_ratelimit e2e_quarantine e2e_two_hosts_clamd e2e_convert e2e_two_hosts corpus_public
  cli_config_diff fault_kill_milter fault_disk_full fault_signatures fault_sqlite_locked
  fault_clamd_killed e2e_contacts PROPERTIES PROCESSORS 2)
# mugai-milter gives up root after opening its socket ([milter] user and group; issue 10).
mugai_script_test(milter_privileges ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/milter/test_privileges.py)
# `mugai status` against the real milter: counts, scanner, reloads, stop, kill, no signatures.
mugai_script_test(milter_status ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/milter/test_status.py)
mugai_script_test(e2e_ppap ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/e2e/test_ppap_e2e.py)
set_tests_properties(e2e_ppap PROPERTIES TIMEOUT 400)
