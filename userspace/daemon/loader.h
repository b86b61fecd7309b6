/* SPDX-License-Identifier: MIT */
/*
 * The BPF loader: mounts bpffs if needed, opens the relay skeleton with the configured port
 * range and map sizes, reuses (adopts) or creates the maps pinned by name under pin_path, and
 * attaches the program with netlink XDP, which replaces a previous program atomically and
 * outlives the daemon. Functions return negative errno and describe the failure in ret_error.
 */
#ifndef SLUICE_DAEMON_LOADER_H
#define SLUICE_DAEMON_LOADER_H

#include <stdbool.h>
#include <stddef.h>

#include "daemon/config.h"
#include "session/session_maps.h"

#define LOADER_ERROR_MAX 512

struct loader;

/* Load the program and create or adopt the pinned maps. */
int loader_open(const struct sluice_config *config, struct loader **ret, char *ret_error,
		size_t error_len);
/* Did the pinned maps exist already (a previous daemon's state)? */
bool loader_adopted(const struct loader *l);
int loader_session_maps(const struct loader *l, struct session_maps *ret);

/* The AF_XDP maps (bpf/lib/maps.h): not pinned, they live as long as this loader. */
struct loader_xsk_maps {
	int xsks_fd;	/* XSKMAP: device slot * SLUICE_XSK_MAX_QUEUES + queue -> socket */
	int ifslots_fd; /* ifindex -> device slot */
	int ports_fd;	/* stream key -> struct sluice_xsk_port */
};
void loader_xsk_maps(const struct loader *l, struct loader_xsk_maps *ret);

/* Attach to one interface (replacing whatever XDP program it has). */
int loader_attach(struct loader *l, const char *ifname, char *ret_error, size_t error_len);
/* Detach from every interface this loader attached to, where the program is still ours. */
void loader_detach_all(struct loader *l);
/* Unpin the maps and remove pin_path if empty: the end of a clean stop. */
void loader_unpin(struct loader *l);
/* Close fds and free; attachments and pins stay (a crash looks like this). */
struct loader *loader_free(struct loader *l);

#endif
