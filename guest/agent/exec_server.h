/* The guest agent's exec server (exec_server.c; protocol: vmm/agent/protocol.h). */
#pragma once

/* Serves `twinbox vm exec` on /dev/hvc1 for ever; commands get `workload_env`
 * plus the request's variables. Run it in a child process of PID 1. */
void serve_exec_channel(char* const* workload_env);
