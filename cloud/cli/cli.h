/* cli: the camcloud admin command line. Talks to a running server's admin API
 * (docs/protocol.md §8) with libcurl; prints ids, tokens or JSON on stdout,
 * errors on stderr. Exit codes: 0 ok, 1 error, 2 usage. */
#ifndef CLOUD_CLI_H
#define CLOUD_CLI_H

int cli_main(int argc, char **argv);

#endif
