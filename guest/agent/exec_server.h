/* The guest agent's exec server (exec_server.c; protocol: vmm/agent/protocol.h). */
#pragma once

/* Serves `twinbox vm exec` on /dev/hvc1 for ever; commands get `workload_env`
 * plus the request's variables. Run it in a child process of PID 1. */
void serve_exec_channel(char* const* workload_env);

/* Relays piped stdin to the workload (`twinbox run -i` without -t): reads 'I'
 * frames from `console` (hvc0, in raw mode) and writes their bytes to
 * `pipe_out`, the workload's stdin, until the empty 'I' that ends the input;
 * then exits, closing the pipe, so the command reads end-of-file as it would
 * from a pipe in a container. Why frames: a terminal in raw mode has no
 * end-of-file, and one in canonical mode edits and limits lines
 * (vmm/machine/vm_workload.h). Run it in a child process; it never returns. */
void relay_workload_stdin(int console, int pipe_out) __attribute__((noreturn));
