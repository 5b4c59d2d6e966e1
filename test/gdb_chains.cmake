# Copyright (c) 2026 The Boost.Affine authors
#
# Distributed under the Boost Software License, Version 1.0. (See accompanying
# file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)
#
# The gdb command of tools/gdb/affine_chains.py, tested: runs test_diagnostics' case
# live_chains_as_the_gdb_command_reads_them under gdb, stops it where it has printed its own
# dump_chains, runs `affine-chains`, and requires the same text (but the chains' ages); writes
# a core file there, and requires the same of `affine-chains` run on the core.
#
#   cmake -DGDB=gdb -DPROGRAM=test_diagnostics -DSCRIPT=affine_chains.py -P gdb_chains.cmake

execute_process(
    COMMAND ${GDB} -nx -batch
        -ex "source ${SCRIPT}"
        -ex "break boost_affine_test_gdb_stop"
        -ex "run"
        -ex "echo === gdb ===\\n"
        -ex "affine-chains"
        -ex "echo === end ===\\n"
        -ex "generate-core-file ${CMAKE_CURRENT_BINARY_DIR}/gdb_chains.core"
        -ex "kill"
        --args ${PROGRAM} --run_test=live_chains_as_the_gdb_command_reads_them
    OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc TIMEOUT 120)

string(REGEX MATCH "=== dump_chains ===\n(.*)=== end ===\n.*=== gdb ===" _ "${out}")
set(program "${CMAKE_MATCH_1}")
string(REGEX MATCH "=== gdb ===\n(.*)=== end ===" _ "${out}")
set(command "${CMAKE_MATCH_1}")

set(core ${CMAKE_CURRENT_BINARY_DIR}/gdb_chains.core)
execute_process(
    COMMAND ${GDB} -nx -batch
        -ex "source ${SCRIPT}"
        -ex "echo === gdb ===\\n"
        -ex "affine-chains"
        -ex "echo === end ===\\n"
        ${PROGRAM} ${core}
    OUTPUT_VARIABLE core_out ERROR_VARIABLE core_err RESULT_VARIABLE core_rc TIMEOUT 120)
file(REMOVE ${core})
string(REGEX MATCH "=== gdb ===\n(.*)=== end ===" _ "${core_out}")
set(from_core "${CMAKE_MATCH_1}")
if(program STREQUAL "" OR command STREQUAL "")
    message(FATAL_ERROR "gdb_chains: no dump from the program or from gdb (gdb exit ${rc})\n"
        "stdout:\n${out}\nstderr:\n${err}")
endif()
foreach(v program command from_core)
    string(REGEX REPLACE ", age [^\n]*" "" ${v} "${${v}}")
endforeach()
message("The program's dump_chains:\n${program}\ngdb's affine-chains:\n${command}")
if(NOT program STREQUAL command)
    message(FATAL_ERROR "gdb_chains: gdb's affine-chains differs from the program's dump_chains")
endif()
if(NOT from_core STREQUAL command)
    message(FATAL_ERROR "gdb_chains: affine-chains on the core file differs:\n${from_core}\n"
        "gdb exit ${core_rc}, stderr:\n${core_err}")
endif()
if(NOT command MATCHES "#0 [^\n]*wait_on\\([^\n]*\n  #1 [^\n]*waiter\\(" OR
   NOT command MATCHES "operand 1 of &&" OR NOT command MATCHES "3 live chains")
    message(FATAL_ERROR "gdb_chains: not the chains the test made")
endif()
