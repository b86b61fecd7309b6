// SPDX-License-Identifier: MIT
/*
 * sluiced: the relay daemon's entry point. Parses the command line and the configuration file
 * (or takes the embedded defaults) and hands over to daemon_main(). Runs in the foreground
 * under a supervisor; logs go to stderr.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/log.h"
#include "daemon/config.h"
#include "daemon/daemon.h"

static void usage(FILE *out)
{
	fprintf(out, "Usage: sluiced [--config FILE] [--foreground] [--help] [--version]\n"
		     "\n"
		     "  -c, --config FILE  read the configuration from FILE (default: built-in)\n"
		     "  -f, --foreground   stay in the foreground (always the case)\n"
		     "  -h, --help         show this help\n"
		     "  -V, --version      show the version\n");
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"foreground", no_argument, NULL, 'f'},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {0},
	};
	char error[CONFIG_ERROR_MAX];
	struct sluice_config config;
	const char *config_path = NULL;
	int c;

	while ((c = getopt_long(argc, argv, "c:fhV", options, NULL)) != -1) {
		switch (c) {
		case 'c':
			config_path = optarg;
			break;
		case 'f':
			break;
		case 'h':
			usage(stdout);
			return EXIT_SUCCESS;
		case 'V':
			printf("sluiced %s\n", SLUICE_VERSION);
			return EXIT_SUCCESS;
		default:
			usage(stderr);
			return EXIT_FAILURE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "sluiced: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return EXIT_FAILURE;
	}
	config_init_defaults(&config);
	if (config_path && config_load(config_path, &config, error, sizeof(error)) < 0) {
		fprintf(stderr, "%s\n", error);
		return EXIT_FAILURE;
	}
	log_set_ident("sluiced");
	log_set_level(config.log_level);
	return daemon_main(&config) < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
