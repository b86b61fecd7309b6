// SPDX-License-Identifier: MIT
/*
 * Compile-time checks that the structs shared with BPF (include/sluice/relay.h) have the
 * layout both sides expect: no hidden padding, sizes as documented.
 */
#include <sluice/relay.h>

_Static_assert(sizeof(struct sluice_stream_key) == 20, "sluice_stream_key layout");
_Static_assert(sizeof(struct sluice_stream) == 48, "sluice_stream layout");
_Static_assert(sizeof(struct sluice_stream_stats) == 8 * (3 + SLUICE_DROP_MAX),
	       "sluice_stream_stats layout");
_Static_assert(sizeof(struct sluice_rtp_quality) == 40, "sluice_rtp_quality layout");
_Static_assert(sizeof(struct sluice_global_stats) == 8 * (2 * SLUICE_V_MAX + SLUICE_DROP_MAX + 2),
	       "sluice_global_stats layout");
_Static_assert(sizeof(struct sluice_xsk_port) == 8, "sluice_xsk_port layout");
_Static_assert(sizeof(struct sluice_xsk_hdr) == 48, "sluice_xsk_hdr layout");
