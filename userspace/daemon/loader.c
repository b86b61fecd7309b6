// SPDX-License-Identifier: MIT
/*
 * Loading relay.bpf.c through its skeleton, map pinning and adoption, and XDP attachment.
 * libbpf refuses to reuse a pinned map whose shape differs (a changed max_sessions, an ABI
 * change); we check first so the operator gets a message naming the map and the difference.
 */
#include <errno.h>
#include <linux/if_link.h>
#include <linux/magic.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "daemon/loader.h"
#include "relay.skel.h"

#define BPFFS_ROOT "/sys/fs/bpf"

struct attachment {
	int ifindex;
	char name[IF_NAMESIZE];
};

struct loader {
	struct relay_bpf *skel;
	bool adopted;
	char pin_path[CONFIG_PATH_MAX];
	__u32 xdp_flags;
	unsigned n_attached;
	struct attachment attached[CONFIG_MAX_INTERFACES];
};

static bool is_bpffs(const char *path)
{
	struct statfs st;

	return statfs(path, &st) == 0 && st.f_type == BPF_FS_MAGIC;
}

static int mount_bpffs(void)
{
	if (is_bpffs(BPFFS_ROOT))
		return 0;
	if (mount("bpf", BPFFS_ROOT, "bpf", 0, "mode=0700") < 0)
		return -errno;
	return 0;
}

/* mkdir -p, mode 0700 for what we create. */
static int make_dirs(const char *path)
{
	char buf[CONFIG_PATH_MAX];

	snprintf(buf, sizeof(buf), "%s", path);
	for (char *p = buf + 1;; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char saved = *p;

		*p = '\0';
		if (mkdir(buf, 0700) < 0 && errno != EEXIST)
			return -errno;
		*p = saved;
		if (saved == '\0')
			return 0;
	}
}

/* The name of the first property in which the pinned map differs, or NULL. */
static const char *map_mismatch(const struct bpf_map *map, const struct bpf_map_info *info,
				__u32 *ret_pinned, __u32 *ret_wanted)
{
	const struct {
		const char *what;
		__u32 pinned, wanted;
	} props[] = {
	    {"type", info->type, bpf_map__type(map)},
	    {"key size", info->key_size, bpf_map__key_size(map)},
	    {"value size", info->value_size, bpf_map__value_size(map)},
	    {"max_entries", info->max_entries, bpf_map__max_entries(map)},
	    {"flags", info->map_flags, bpf_map__map_flags(map)},
	};

	for (size_t i = 0; i < sizeof(props) / sizeof(props[0]); i++) {
		if (props[i].pinned != props[i].wanted) {
			*ret_pinned = props[i].pinned;
			*ret_wanted = props[i].wanted;
			return props[i].what;
		}
	}
	return NULL;
}

/* Check every pinned map we would reuse; sets *ret_found if sluice_streams is pinned. */
static int check_pinned_maps(struct relay_bpf *skel, const char *pin_path, bool *ret_found,
			     char *error, size_t len)
{
	struct bpf_map *map;

	*ret_found = false;
	bpf_object__for_each_map(map, skel->obj)
	{
		struct bpf_map_info info = {0};
		__u32 info_len = sizeof(info), pinned, wanted;
		char path[CONFIG_PATH_MAX + 64];
		const char *what;
		int fd, r;

		if (strncmp(bpf_map__name(map), "sluice_", 7) != 0)
			continue; /* .rodata and friends are not pinned */
		snprintf(path, sizeof(path), "%s/%s", pin_path, bpf_map__name(map));
		fd = bpf_obj_get(path);
		if (fd == -ENOENT)
			continue;
		if (fd < 0) {
			snprintf(error, len, "cannot open pinned map %s: %s", path, strerror(-fd));
			return fd;
		}
		r = bpf_obj_get_info_by_fd(fd, &info, &info_len);
		close(fd);
		if (r < 0) {
			snprintf(error, len, "cannot inspect pinned map %s: %s", path,
				 strerror(-r));
			return r;
		}
		what = map_mismatch(map, &info, &pinned, &wanted);
		if (what) {
			snprintf(error, len,
				 "pinned map %s is incompatible (%s %u, this daemon needs %u): "
				 "stop the running relay cleanly or remove %s, then start again",
				 path, what, pinned, wanted, pin_path);
			return -EEXIST;
		}
		if (map == skel->maps.sluice_streams)
			*ret_found = true;
	}
	return 0;
}

static void configure_skeleton(struct relay_bpf *skel, const struct sluice_config *config)
{
	__u32 streams = 4 * config->max_sessions;

	skel->rodata->cfg_port_min = config->port_min;
	skel->rodata->cfg_port_max = config->port_max;
	bpf_map__set_max_entries(skel->maps.sluice_streams, streams);
	bpf_map__set_max_entries(skel->maps.sluice_stream_stats, streams);
	bpf_map__set_max_entries(skel->maps.sluice_stream_rtp, streams);
	bpf_map__set_max_entries(skel->maps.sluice_xsk_ports, streams);
}

int loader_open(const struct sluice_config *config, struct loader **ret, char *error, size_t len)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .pin_root_path = config->pin_path);
	struct loader *l;
	int r;

	r = mount_bpffs();
	if (r < 0) {
		snprintf(error, len, "cannot mount bpffs at %s: %s", BPFFS_ROOT, strerror(-r));
		return r;
	}
	r = make_dirs(config->pin_path);
	if (r < 0 || !is_bpffs(config->pin_path)) {
		snprintf(error, len, "pin_path %s: %s", config->pin_path,
			 r < 0 ? strerror(-r) : "not on a bpf filesystem");
		return r < 0 ? r : -ENOTSUP;
	}
	l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	snprintf(l->pin_path, sizeof(l->pin_path), "%s", config->pin_path);
	l->xdp_flags =
	    config->xdp_mode == XDP_MODE_GENERIC ? XDP_FLAGS_SKB_MODE : XDP_FLAGS_DRV_MODE;
	l->skel = relay_bpf__open_opts(&opts);
	if (!l->skel) {
		r = -errno;
		snprintf(error, len, "cannot open the BPF object: %s", strerror(-r));
		goto free_loader;
	}
	configure_skeleton(l->skel, config);
	r = check_pinned_maps(l->skel, config->pin_path, &l->adopted, error, len);
	if (r < 0)
		goto destroy_skel;
	r = relay_bpf__load(l->skel);
	if (r < 0) {
		snprintf(error, len, "cannot load the BPF program: %s", strerror(-r));
		goto destroy_skel;
	}
	*ret = l;
	return 0;

destroy_skel:
	relay_bpf__destroy(l->skel);
free_loader:
	free(l);
	return r;
}

bool loader_adopted(const struct loader *l)
{
	return l->adopted;
}

int loader_session_maps(const struct loader *l, struct session_maps *ret)
{
	return session_maps_init(ret, bpf_map__fd(l->skel->maps.sluice_streams),
				 bpf_map__fd(l->skel->maps.sluice_stream_stats),
				 bpf_map__fd(l->skel->maps.sluice_stream_rtp),
				 bpf_map__fd(l->skel->maps.sluice_global_stats));
}

void loader_xsk_maps(const struct loader *l, struct loader_xsk_maps *ret)
{
	ret->xsks_fd = bpf_map__fd(l->skel->maps.sluice_xsks);
	ret->ifslots_fd = bpf_map__fd(l->skel->maps.sluice_xsk_ifslots);
	ret->ports_fd = bpf_map__fd(l->skel->maps.sluice_xsk_ports);
}

int loader_attach(struct loader *l, const char *ifname, char *error, size_t len)
{
	int prog_fd = bpf_program__fd(l->skel->progs.xdp_relay);
	int ifindex = (int)if_nametoindex(ifname);
	int r;

	if (ifindex == 0) {
		r = -errno;
		snprintf(error, len, "interface %s: %s", ifname, strerror(-r));
		return r;
	}
	if (l->n_attached == CONFIG_MAX_INTERFACES) {
		snprintf(error, len, "too many interfaces");
		return -E2BIG;
	}
	/* No XDP_FLAGS_UPDATE_IF_NOEXIST: an adopted (or foreign) program is replaced atomically.
	 */
	r = bpf_xdp_attach(ifindex, prog_fd, l->xdp_flags, NULL);
	if (r < 0) {
		snprintf(error, len, "cannot attach XDP (%s mode) to %s: %s%s",
			 l->xdp_flags & XDP_FLAGS_SKB_MODE ? "generic" : "native", ifname,
			 strerror(-r),
			 r == -EOPNOTSUPP ? " (driver without native XDP? try xdp_mode = generic)"
			 : r == -EEXIST	  ? " (a program is attached in the other XDP mode)"
					  : "");
		return r;
	}
	l->attached[l->n_attached].ifindex = ifindex;
	snprintf(l->attached[l->n_attached].name, IF_NAMESIZE, "%s", ifname);
	l->n_attached++;
	return 0;
}

void loader_detach_all(struct loader *l)
{
	int prog_fd = bpf_program__fd(l->skel->progs.xdp_relay);

	while (l->n_attached > 0) {
		const struct attachment *a = &l->attached[--l->n_attached];
		LIBBPF_OPTS(bpf_xdp_attach_opts, opts, .old_prog_fd = prog_fd);

		/* Only if the program there is still ours (XDP_FLAGS_REPLACE checks). */
		bpf_xdp_attach(a->ifindex, -1, l->xdp_flags | XDP_FLAGS_REPLACE, &opts);
	}
}

void loader_unpin(struct loader *l)
{
	struct bpf_map *map;

	bpf_object__for_each_map(map, l->skel->obj)
	{
		if (bpf_map__is_pinned(map))
			bpf_map__unpin(map, NULL);
	}
	rmdir(l->pin_path); /* only if empty: foreign pins stay */
}

struct loader *loader_free(struct loader *l)
{
	if (!l)
		return NULL;
	relay_bpf__destroy(l->skel);
	free(l);
	return NULL;
}
