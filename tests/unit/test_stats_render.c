// SPDX-License-Identifier: MIT
/*
 * The stats renderers and snapshot helpers (userspace/stats): golden JSON, the Prometheus families
 * (cumulative histogram buckets, one block per family, label escaping), the output cap, per-CPU
 * sums, RFC 3550 helpers, the name tables against the control plane's own names.
 * `test_stats_render --promtool` instead runs `promtool check metrics` on a full exposition
 * (exit 77 when promtool is not installed).
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "control/ng.h"
#include "control/tls.h"
#include "stats/stats_render.h"
#include "test_stats_fake.h"

static const char golden_global[] =
    "{\"time_unix_ms\":1700000000123,\"sessions\":{\"active\":3,\"total\":41,\"max\":16384},"
    "\"packets\":{\"xdp_forward\":1000,\"userspace\":200,\"dropped\":30},"
    "\"bytes\":{\"xdp_forward\":160000,\"userspace\":34000,\"dropped\":4800},"
    "\"xdp_pass_packets\":77,\"xdp_fib_no_neigh\":5,\"xdp_xsk_redirects\":150,"
    "\"drops\":{\"xdp\":{\"no_session\":11,\"src_not_latched\":2,\"udp_length\":0,"
    "\"rtp_truncated\":0,\"rtp_version\":0,\"rtcp_malformed\":0,\"peer_unknown\":0,\"no_route\":1},"
    "\"userspace\":{\"srtp_auth\":7,\"srtp_replay_duplicate\":4,\"srtp_replay_old\":3,"
    "\"srtp_malformed\":0,\"srtp_no_key\":0,\"src_not_latched\":0,\"peer_unknown\":0,"
    "\"send_error\":2}},"
    "\"srtp_failures\":{\"auth\":7,\"replay_duplicate\":4,\"replay_old\":3},"
    "\"control_requests\":{\"unknown\":{\"ok\":0,\"error\":0},\"ping\":{\"ok\":50,\"error\":0},"
    "\"offer\":{\"ok\":20,\"error\":2},\"answer\":{\"ok\":0,\"error\":0},"
    "\"delete\":{\"ok\":0,\"error\":0},\"query\":{\"ok\":0,\"error\":0},"
    "\"list\":{\"ok\":0,\"error\":0},\"statistics\":{\"ok\":0,\"error\":0}},"
    "\"tls_handshake_failures\":{\"no_client_cert\":6,\"unknown_ca\":0,\"cert_expired\":0,"
    "\"bad_cert\":0,\"protocol_version\":1,\"no_shared_cipher\":0,\"not_tls\":0,"
    "\"subject_not_allowed\":0,\"handshake_timeout\":0,\"peer_aborted\":0,\"other\":0},"
    "\"workers\":[{\"worker\":0,\"busy_ns\":250000000,\"wall_ns\":1000000000,"
    "\"utilization\":0.2500,\"rx_packets\":120,\"tx_packets\":110,\"af_xdp\":true,"
    "\"af_xdp_rx_packets\":101,\"af_xdp_tx_packets\":97},"
    "{\"worker\":1,\"busy_ns\":500000000,\"wall_ns\":1000000000,\"utilization\":0.5000,"
    "\"rx_packets\":95,\"tx_packets\":90,\"af_xdp\":false,\"af_xdp_rx_packets\":0,"
    "\"af_xdp_tx_packets\":0}],"
    "\"af_xdp\":{\"workers\":1,\"rx_packets\":101,\"tx_packets\":97,\"fallback_packets\":3,"
    "\"bad_frames\":8,\"kernel\":{\"rx_dropped\":13,\"rx_ring_full\":14,"
    "\"fill_ring_empty\":15,\"rx_invalid\":16,\"tx_invalid\":17}},"
    "\"userspace_processing\":{\"count\":191,\"sum_ns\":5300000,\"bounds_ns\":[128,256,512,1024,"
    "2048,4096,8192,16384,32768,65536,131072,262144,524288,1048576,2097152,4194304],"
    "\"counts\":[10,0,0,100,80,0,0,0,0,0,0,0,0,0,0,0,1]},"
    "\"rtp\":{\"streams\":4,\"expected\":1000,\"lost\":12,\"jitter_max_seconds\":0.004000,"
    "\"jitter_mean_seconds\":0.002000},"
    "\"stats_server\":{\"clients\":0,\"accepted\":0,\"refused\":0,\"slow_disconnects\":0,"
    "\"requests\":0,\"request_errors\":0,\"provider_failures\":0}}";

static const char golden_session2[] =
    "{\"session\":{\"id\":2,\"streams\":["
    "{\"leg\":\"internal\",\"kind\":\"mux\",\"path\":\"userspace\",\"local\":\"198.18.1.1:30000\","
    "\"remote\":\"198.18.1.2:40000\",\"suite\":\"odd\\\"suite\\\\x\\ny\",\"packets\":200,"
    "\"bytes\":32000,\"drops\":{\"xdp\":{},\"userspace\":{\"srtp_auth\":2}},"
    "\"rtp\":{\"expected\":200,\"lost\":-1,\"jitter_seconds\":0.001500},"
    "\"last_seen_age_seconds\":0.250},"
    "{\"leg\":\"gateway\",\"kind\":\"mux\",\"path\":\"kernel\","
    "\"local\":\"[2001:db8:2::1]:30002\",\"remote\":null,\"suite\":null,\"packets\":201,"
    "\"bytes\":32001,\"drops\":{\"xdp\":{\"src_not_latched\":1},\"userspace\":{}},"
    "\"rtp\":{\"expected\":200,\"lost\":2,\"jitter_seconds\":0.001500},"
    "\"last_seen_age_seconds\":null}]}}";

static const char golden_histogram[] =
    "# HELP sluice_userspace_processing_seconds Time an io_uring worker spent on one packet "
    "(unprotect, protect, send setup).\n"
    "# TYPE sluice_userspace_processing_seconds histogram\n"
    "sluice_userspace_processing_seconds_bucket{le=\"1.28e-07\"} 10\n"
    "sluice_userspace_processing_seconds_bucket{le=\"2.56e-07\"} 10\n"
    "sluice_userspace_processing_seconds_bucket{le=\"5.12e-07\"} 10\n"
    "sluice_userspace_processing_seconds_bucket{le=\"1.024e-06\"} 110\n"
    "sluice_userspace_processing_seconds_bucket{le=\"2.048e-06\"} 190\n"
    "sluice_userspace_processing_seconds_bucket{le=\"4.096e-06\"} 190\n"
    "sluice_userspace_processing_seconds_bucket{le=\"8.192e-06\"} 190\n"
    "sluice_userspace_processing_seconds_bucket{le=\"1.6384e-05\"} 190\n"
    "sluice_userspace_processing_seconds_bucket{le=\"3.2768e-05\"} 190\n"
    "sluice_userspace_processing_seconds_bucket{le=\"6.5536e-05\"} 190\n"
    "sluice_userspace_processing_seconds_bucket{le=\"0.000131072\"} 190\n"
    "sluice_userspace_processing_seconds_bucket{le=\"0.000262144\"} 190\n"
    "sluice_userspace_processing_seconds_bucket{le=\"0.000524288\"} 190\n"
    "sluice_userspace_processing_seconds_bucket{le=\"0.001048576\"} 190\n"
    "sluice_userspace_processing_seconds_bucket{le=\"0.002097152\"} 190\n"
    "sluice_userspace_processing_seconds_bucket{le=\"0.004194304\"} 190\n"
    "sluice_userspace_processing_seconds_bucket{le=\"+Inf\"} 191\n"
    "sluice_userspace_processing_seconds_sum 0.0053\n"
    "sluice_userspace_processing_seconds_count 191\n";

static const char golden_drops[] =
    "# HELP sluice_dropped_packets_total Packets dropped, by who dropped them (xdp, userspace) "
    "and why.\n"
    "# TYPE sluice_dropped_packets_total counter\n"
    "sluice_dropped_packets_total{source=\"xdp\",reason=\"no_session\"} 11\n"
    "sluice_dropped_packets_total{source=\"xdp\",reason=\"src_not_latched\"} 2\n"
    "sluice_dropped_packets_total{source=\"xdp\",reason=\"udp_length\"} 0\n"
    "sluice_dropped_packets_total{source=\"xdp\",reason=\"rtp_truncated\"} 0\n"
    "sluice_dropped_packets_total{source=\"xdp\",reason=\"rtp_version\"} 0\n"
    "sluice_dropped_packets_total{source=\"xdp\",reason=\"rtcp_malformed\"} 0\n"
    "sluice_dropped_packets_total{source=\"xdp\",reason=\"peer_unknown\"} 0\n"
    "sluice_dropped_packets_total{source=\"xdp\",reason=\"no_route\"} 1\n"
    "sluice_dropped_packets_total{source=\"userspace\",reason=\"srtp_auth\"} 7\n"
    "sluice_dropped_packets_total{source=\"userspace\",reason=\"srtp_replay_duplicate\"} 4\n"
    "sluice_dropped_packets_total{source=\"userspace\",reason=\"srtp_replay_old\"} 3\n"
    "sluice_dropped_packets_total{source=\"userspace\",reason=\"srtp_malformed\"} 0\n"
    "sluice_dropped_packets_total{source=\"userspace\",reason=\"srtp_no_key\"} 0\n"
    "sluice_dropped_packets_total{source=\"userspace\",reason=\"src_not_latched\"} 0\n"
    "sluice_dropped_packets_total{source=\"userspace\",reason=\"peer_unknown\"} 0\n"
    "sluice_dropped_packets_total{source=\"userspace\",reason=\"send_error\"} 2\n";

static const char golden_af_xdp[] =
    "# HELP sluice_xdp_xsk_redirects_total Userspace packets XDP redirected to a worker's AF_XDP "
    "socket instead of the UDP stack.\n"
    "# TYPE sluice_xdp_xsk_redirects_total counter\n"
    "sluice_xdp_xsk_redirects_total 150\n";

static const char golden_worker_af_xdp[] =
    "# HELP sluice_worker_af_xdp 1 when the io_uring worker owns AF_XDP sockets, else 0.\n"
    "# TYPE sluice_worker_af_xdp gauge\n"
    "sluice_worker_af_xdp{worker=\"0\"} 1\n"
    "sluice_worker_af_xdp{worker=\"1\"} 0\n"
    "# HELP sluice_worker_af_xdp_packets_total Packets a worker received on its AF_XDP sockets "
    "(rx) and sent from one (tx).\n"
    "# TYPE sluice_worker_af_xdp_packets_total counter\n"
    "sluice_worker_af_xdp_packets_total{worker=\"0\",direction=\"rx\"} 101\n"
    "sluice_worker_af_xdp_packets_total{worker=\"0\",direction=\"tx\"} 97\n"
    "sluice_worker_af_xdp_packets_total{worker=\"1\",direction=\"rx\"} 0\n"
    "sluice_worker_af_xdp_packets_total{worker=\"1\",direction=\"tx\"} 0\n"
    "# HELP sluice_af_xdp_workers io_uring workers that own AF_XDP sockets.\n"
    "# TYPE sluice_af_xdp_workers gauge\n"
    "sluice_af_xdp_workers 1\n"
    "# HELP sluice_af_xdp_packets_total Packets the workers received on AF_XDP sockets (rx) and "
    "sent from one (tx).\n"
    "# TYPE sluice_af_xdp_packets_total counter\n"
    "sluice_af_xdp_packets_total{direction=\"rx\"} 101\n"
    "sluice_af_xdp_packets_total{direction=\"tx\"} 97\n"
    "# HELP sluice_af_xdp_fallback_packets_total Packets received on AF_XDP that the workers sent "
    "from the port's UDP socket instead.\n"
    "# TYPE sluice_af_xdp_fallback_packets_total counter\n"
    "sluice_af_xdp_fallback_packets_total 3\n"
    "# HELP sluice_af_xdp_bad_frames_total AF_XDP frames without a valid header or for a port now "
    "gone.\n"
    "# TYPE sluice_af_xdp_bad_frames_total counter\n"
    "sluice_af_xdp_bad_frames_total 8\n"
    "# HELP sluice_af_xdp_kernel_rx_dropped_packets_total Packets the kernel dropped before the "
    "AF_XDP RX ring: too big for a frame or no fill buffer (XDP_STATISTICS rx_dropped).\n"
    "# TYPE sluice_af_xdp_kernel_rx_dropped_packets_total counter\n"
    "sluice_af_xdp_kernel_rx_dropped_packets_total 13\n"
    "# HELP sluice_af_xdp_kernel_rx_ring_full_packets_total Packets the kernel dropped because an "
    "AF_XDP RX ring was full (XDP_STATISTICS rx_ring_full).\n"
    "# TYPE sluice_af_xdp_kernel_rx_ring_full_packets_total counter\n"
    "sluice_af_xdp_kernel_rx_ring_full_packets_total 14\n"
    "# HELP sluice_af_xdp_kernel_fill_ring_empty_total Times the kernel found an AF_XDP fill ring "
    "empty (XDP_STATISTICS rx_fill_ring_empty_descs).\n"
    "# TYPE sluice_af_xdp_kernel_fill_ring_empty_total counter\n"
    "sluice_af_xdp_kernel_fill_ring_empty_total 15\n"
    "# HELP sluice_af_xdp_kernel_rx_invalid_descriptors_total Invalid AF_XDP RX descriptors "
    "(XDP_STATISTICS rx_invalid_descs).\n"
    "# TYPE sluice_af_xdp_kernel_rx_invalid_descriptors_total counter\n"
    "sluice_af_xdp_kernel_rx_invalid_descriptors_total 16\n"
    "# HELP sluice_af_xdp_kernel_tx_invalid_descriptors_total Invalid AF_XDP TX descriptors the "
    "workers submitted (XDP_STATISTICS tx_invalid_descs).\n"
    "# TYPE sluice_af_xdp_kernel_tx_invalid_descriptors_total counter\n"
    "sluice_af_xdp_kernel_tx_invalid_descriptors_total 17\n";

static const char golden_session_info[] =
    "sluice_session_stream_info{session=\"2\",leg=\"internal\",kind=\"mux\",path=\"userspace\","
    "suite=\"odd\\\"suite\\\\x\\ny\",local=\"198.18.1.1:30000\",remote=\"198.18.1.2:40000\"} 1\n"
    "sluice_session_stream_info{session=\"2\",leg=\"gateway\",kind=\"mux\",path=\"kernel\","
    "suite=\"none\",local=\"[2001:db8:2::1]:30002\",remote=\"\"} 1\n";

static void render_metrics(unsigned n_sessions, bool per_session, struct stats_buf *out)
{
	struct fake_provider f = {.n_sessions = n_sessions};
	struct stats_provider p = fake_provider(&f);
	struct stats_global g = {0};

	fake_fill_global(&g, 0);
	assert_int_equal(stats_render_metrics(&g, per_session ? &p : NULL, out), 0);
}

static void test_global_json_golden(void **state)
{
	struct stats_global g = {0};
	struct stats_buf b;

	stats_buf_init(&b, 1 << 20);
	fake_fill_global(&g, 0);
	assert_int_equal(stats_render_global_json(&g, &b), 0);
	assert_string_equal(b.data, golden_global);
	stats_buf_free(&b);
}

static void test_session_json_golden(void **state)
{
	struct stats_session s;
	struct stats_buf b;

	stats_buf_init(&b, 1 << 20);
	fake_fill_session(&s, 2);
	assert_int_equal(stats_render_session_json(&s, &b), 0);
	assert_string_equal(b.data, golden_session2);
	stats_buf_free(&b);
}

static void test_sessions_json_paging(void **state)
{
	struct fake_provider f = {.n_sessions = 3};
	struct stats_provider p = fake_provider(&f);
	struct stats_buf b;

	stats_buf_init(&b, 1 << 20);
	assert_int_equal(stats_render_sessions_json(&p, 1, 1, &b), 0);
	assert_non_null(strstr(b.data, "{\"sessions\":[{\"id\":2,"));
	assert_null(strstr(b.data, "\"id\":1,"));
	assert_null(strstr(b.data, "\"id\":3,"));
	assert_non_null(strstr(b.data, "],\"count\":1,\"truncated\":true}"));
	stats_buf_reset(&b);
	assert_int_equal(stats_render_sessions_json(&p, 0, 0, &b), 0);
	assert_non_null(strstr(b.data, "\"id\":3,"));
	assert_non_null(strstr(b.data, "],\"count\":3,\"truncated\":false}"));
	stats_buf_reset(&b);
	assert_int_equal(stats_render_sessions_json(&p, 5, 0, &b), 0);
	assert_string_equal(b.data, "{\"sessions\":[],\"count\":0,\"truncated\":false}");
	stats_buf_free(&b);
}

static void test_metrics_golden_blocks(void **state)
{
	struct stats_buf b;

	stats_buf_init(&b, 1 << 20);
	render_metrics(2, true, &b);
	assert_non_null(strstr(b.data, golden_histogram));
	assert_non_null(strstr(b.data, golden_drops));
	/* Right after sluice_xdp_fib_no_neigh_total; the workers' AF_XDP families follow theirs. */
	assert_non_null(strstr(b.data, "sluice_xdp_fib_no_neigh_total 5\n"));
	assert_non_null(strstr(b.data, golden_af_xdp));
	assert_ptr_equal(strstr(b.data, golden_af_xdp),
			 strstr(b.data, "sluice_xdp_fib_no_neigh_total 5\n") +
			     strlen("sluice_xdp_fib_no_neigh_total 5\n"));
	assert_non_null(strstr(b.data, "sluice_worker_packets_total{worker=\"1\",direction=\"tx\"} "
				       "90\n# HELP sluice_worker_af_xdp "));
	assert_non_null(strstr(b.data, golden_worker_af_xdp));
	assert_non_null(strstr(b.data, golden_session_info));
	assert_non_null(strstr(b.data, "\nsluice_packets_total{path=\"xdp_forward\"} 1000\n"));
	assert_non_null(strstr(b.data, "\nsluice_rtp_jitter_max_seconds 0.004\n"));
	assert_non_null(strstr(b.data, "\nsluice_stats_per_session_metrics 1\n"));
	assert_non_null(strstr(b.data, "{session=\"1\",leg=\"internal\",kind=\"mux\"} -1\n"));
	stats_buf_reset(&b);
	render_metrics(2, false, &b);
	assert_null(strstr(b.data, "sluice_session_stream_info"));
	assert_null(strstr(b.data, "sluice_session_packets_total"));
	assert_non_null(strstr(b.data, "\nsluice_stats_per_session_metrics 0\n"));
	stats_buf_free(&b);
}

/* Exposition structure: one HELP and TYPE per family, its samples right after, no empty line. */
static void test_metrics_one_block_per_family(void **state)
{
	char family[128] = "", seen[8192] = " ";
	struct stats_buf b;
	char *save = NULL;

	stats_buf_init(&b, 1 << 20);
	render_metrics(3, true, &b);
	assert_null(strstr(b.data, "\n\n"));
	assert_int_equal(b.data[b.len - 1], '\n');
	for (char *line = strtok_r(b.data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char name[128], key[136];

		if (!strncmp(line, "# HELP ", 7))
			continue;
		if (sscanf(line, "# TYPE %127s", name) == 1) {
			snprintf(key, sizeof(key), " %s ", name);
			assert_null(strstr(seen, key)); /* a family appears once */
			strncat(seen, key + 1, sizeof(seen) - strlen(seen) - 1);
			snprintf(family, sizeof(family), "%s", name);
			continue;
		}
		/* The sample belongs to the family just declared (histogram suffixes allowed). */
		assert_int_equal(strncmp(line, family, strlen(family)), 0);
		assert_true(strchr("{ _", line[strlen(family)]) != NULL);
	}
	stats_buf_free(&b);
}

static void test_escaping(void **state)
{
	struct stats_buf b;
	struct stats_json j;

	stats_buf_init(&b, 1024);
	stats_buf_prom_label_value(&b, "a\"b\\c\nd");
	assert_string_equal(b.data, "a\\\"b\\\\c\\nd");
	stats_buf_reset(&b);
	stats_buf_prom_help(&b, "x\\y\n\"z\"");
	assert_string_equal(b.data, "x\\\\y\\n\"z\"");
	stats_buf_reset(&b);
	stats_json_init(&j, &b);
	stats_json_string(&j, "q\"\\\x01\t\x7f");
	assert_string_equal(b.data, "\"q\\\"\\\\\\u0001\\t\\u007f\"");
	stats_buf_reset(&b);
	stats_buf_prom_double(&b, NAN);
	stats_buf_puts(&b, " ");
	stats_buf_prom_double(&b, INFINITY);
	stats_buf_puts(&b, " ");
	stats_buf_prom_double(&b, -3);
	stats_buf_puts(&b, " ");
	stats_buf_prom_double(&b, 0.1);
	assert_string_equal(b.data, "NaN +Inf -3 0.1");
	stats_buf_free(&b);
}

static void test_buffer_cap(void **state)
{
	struct stats_global g = {0};
	struct stats_buf b;

	fake_fill_global(&g, 0);
	stats_buf_init(&b, 100);
	assert_int_equal(stats_render_global_json(&g, &b), -E2BIG);
	assert_true(b.len <= 100);
	stats_buf_free(&b);

	/* Per-session series stop the walk once over the cap. */
	{
		struct fake_provider f = {.n_sessions = 100000};
		struct stats_provider p = fake_provider(&f);

		stats_buf_init(&b, 64 * 1024);
		assert_int_equal(stats_render_metrics(&g, &p, &b), -E2BIG);
		assert_true(b.len <= 64 * 1024);
		stats_buf_free(&b);
	}
	/* The buffer grows in steps up to exactly its cap. */
	stats_buf_init(&b, 10000);
	for (int i = 0; i < 1000; i++)
		stats_buf_puts(&b, "0123456789");
	assert_int_equal(stats_buf_status(&b), 0);
	assert_int_equal(b.len, 10000);
	stats_buf_puts(&b, "x");
	assert_int_equal(stats_buf_status(&b), -E2BIG);
	assert_int_equal(b.len, 10000);
	stats_buf_free(&b);
}

static void test_hist_buckets(void **state)
{
	struct stats_histogram h = {0}, sum = {0};

	assert_int_equal(stats_hist_bucket(0), 0);
	assert_int_equal(stats_hist_bucket(128), 0);
	assert_int_equal(stats_hist_bucket(129), 1);
	assert_int_equal(stats_hist_bucket(256), 1);
	assert_int_equal(stats_hist_bucket(257), 2);
	assert_int_equal(stats_hist_bucket(1u << 22), 15);
	assert_int_equal(stats_hist_bucket((1u << 22) + 1), STATS_HIST_BOUNDED);
	assert_int_equal(stats_hist_bucket(UINT64_MAX), STATS_HIST_BOUNDED);
	for (unsigned i = 0; i < STATS_HIST_BOUNDED; i++) {
		assert_int_equal(stats_hist_bucket(stats_hist_bound_ns(i)), i);
		assert_int_equal(stats_hist_bucket(stats_hist_bound_ns(i) + 1), i + 1);
	}
	assert_true(stats_hist_bound_ns(STATS_HIST_BOUNDED) == UINT64_MAX);
	stats_hist_record(&h, 100);
	stats_hist_record(&h, 1000);
	stats_hist_record(&h, 10000000);
	stats_hist_add(&sum, &h);
	stats_hist_add(&sum, &h);
	assert_int_equal(sum.buckets[0], 2);
	assert_int_equal(sum.buckets[3], 2);
	assert_int_equal(sum.buckets[STATS_HIST_BOUNDED], 2);
	assert_int_equal(sum.sum_ns, 2 * (100 + 1000 + 10000000));
}

static void test_percpu_sums(void **state)
{
	struct sluice_global_stats g[3] = {0}, gsum;
	struct sluice_stream_stats st[3] = {0}, ssum;
	uint64_t raw[3][3] = {{1, 2, 999}, {10, 20, 999}, {100, 200, 999}}, out[2];

	for (unsigned cpu = 0; cpu < 3; cpu++) {
		g[cpu].verdict_packets[SLUICE_V_FORWARD] = 1 + cpu;
		g[cpu].verdict_bytes[SLUICE_V_PASS] = 10;
		g[cpu].drops[SLUICE_DROP_NO_ROUTE] = 5;
		g[cpu].fib_no_neigh = cpu;
		g[cpu].xsk_redirects = 100 * cpu;
		st[cpu].packets = 7;
		st[cpu].bytes = 70;
		st[cpu].drops[SLUICE_DROP_SRC_NOT_LATCHED] = cpu;
	}
	st[0].last_seen_ns = 500;
	st[1].last_seen_ns = 900;
	st[2].last_seen_ns = 0; /* never saw a packet on that CPU */
	stats_sum_global_percpu(g, 3, &gsum);
	assert_int_equal(gsum.verdict_packets[SLUICE_V_FORWARD], 6);
	assert_int_equal(gsum.verdict_bytes[SLUICE_V_PASS], 30);
	assert_int_equal(gsum.drops[SLUICE_DROP_NO_ROUTE], 15);
	assert_int_equal(gsum.fib_no_neigh, 3);
	assert_int_equal(gsum.xsk_redirects, 300);
	stats_sum_stream_percpu(st, 3, &ssum);
	assert_int_equal(ssum.packets, 21);
	assert_int_equal(ssum.bytes, 210);
	assert_int_equal(ssum.drops[SLUICE_DROP_SRC_NOT_LATCHED], 3);
	assert_int_equal(ssum.last_seen_ns, 900); /* the latest, not the sum */
	/* Values with a stride larger than the counters: the tail is not summed. */
	stats_percpu_sum_u64(raw, sizeof(raw[0]), 3, 2, out);
	assert_int_equal(out[0], 111);
	assert_int_equal(out[1], 222);
}

static void test_snapshot_helpers(void **state)
{
	struct sluice_global_stats x = {0};
	struct sluice_stream_stats ss = {0};
	struct sluice_rtp_quality q = {0};
	struct stats_global g = {0};
	struct stats_stream st = {0}, st2 = {0};

	x.verdict_packets[SLUICE_V_FORWARD] = 10;
	x.verdict_packets[SLUICE_V_DROP] = 3;
	x.verdict_packets[SLUICE_V_PASS] = 4;
	x.verdict_packets[SLUICE_V_USERSPACE] = 99; /* counted by userspace when relayed */
	x.drops[SLUICE_DROP_NO_SESSION] = 3;
	x.fib_no_neigh = 2;
	x.xsk_redirects = 42;
	stats_global_add_xdp(&g, &x);
	assert_int_equal(g.xdp_xsk_redirects, 42);
	assert_int_equal(g.packets[STATS_PATH_XDP_FORWARD], 10);
	assert_int_equal(g.packets[STATS_PATH_DROPPED], 3);
	assert_int_equal(g.packets[STATS_PATH_USERSPACE], 0);
	assert_int_equal(g.xdp_pass_packets, 4);
	assert_int_equal(g.xdp_drops[SLUICE_DROP_NO_SESSION], 3);
	assert_int_equal(g.xdp_fib_no_neigh, 2);

	ss.packets = 5;
	ss.last_seen_ns = 1000000000;
	stats_stream_set_xdp(&st, &ss, 3500000000ull);
	assert_true(st.seen);
	assert_true(fabs(st.last_seen_age_seconds - 2.5) < 1e-9);
	ss.last_seen_ns = 0;
	stats_stream_set_xdp(&st2, &ss, 3500000000ull);
	assert_false(st2.seen);

	/* RFC 3550 A.3 across a sequence wrap: 65530..65535, 0..10 = 17 expected, 15 received. */
	q.initialized = 1;
	q.cycles = 65536;
	q.base_seq = 65530;
	q.max_seq = 10;
	q.received = 15;
	q.jitter = 16 * 80; /* 80 clock units at 8 kHz = 10 ms */
	stats_stream_set_rtp(&st, &q, 8000);
	assert_true(st.has_rtp);
	assert_int_equal(st.expected, 17);
	assert_int_equal(st.lost, 2);
	assert_true(fabs(st.jitter_seconds - 0.010) < 1e-12);
	q.received = 20; /* duplicates: negative loss */
	stats_stream_set_rtp(&st2, &q, 0);
	assert_int_equal(st2.lost, -3);
	assert_true(st2.jitter_seconds == 0);

	stats_global_add_stream(&g, &st);
	stats_global_add_stream(&g, &st2);
	assert_int_equal(g.rtp_streams, 2);
	assert_int_equal(g.rtp_expected, 34);
	assert_int_equal(g.rtp_lost, -1);
	assert_true(fabs(g.rtp_jitter_max_seconds - 0.010) < 1e-12);
}

/* The tables mirror the control plane's names, index for index. */
static void test_names_match_control(void **state)
{
	for (unsigned c = 0; c < STATS_CTL_CMD_MAX; c++) {
		const char *ng = ng_command_name((enum ng_command)c);

		assert_string_equal(stats_name(&stats_ctl_command_names, c), ng ? ng : "unknown");
	}
	assert_null(ng_command_name((enum ng_command)STATS_CTL_CMD_MAX));
	assert_int_equal(STATS_TLS_REFUSAL_MAX, TLS_REFUSAL__MAX);
	for (unsigned r = 0; r < STATS_TLS_REFUSAL_MAX; r++)
		assert_string_equal(stats_name(&stats_tls_refusal_names, r),
				    tls_refusal_to_string((enum tls_refusal)r));
	assert_null(stats_name(&stats_xdp_drop_names, SLUICE_DROP_NONE));
	assert_int_equal(stats_xdp_drop_names.count, SLUICE_DROP_MAX);
	assert_int_equal(stats_userspace_drop_names.count, STATS_US_DROP__MAX);
	assert_null(stats_name(&stats_userspace_drop_names, STATS_US_DROP_NONE));
	for (unsigned r = STATS_US_DROP_NONE + 1; r < STATS_US_DROP__MAX; r++)
		assert_non_null(stats_name(&stats_userspace_drop_names, r));
	assert_null(stats_name(&stats_userspace_drop_names, STATS_US_DROP__MAX));
}

static void test_per_session_policy(void **state)
{
	enum stats_per_session mode = STATS_PER_SESSION_NO;

	assert_true(stats_per_session_enabled(STATS_PER_SESSION_AUTO, 0, 1000));
	assert_false(stats_per_session_enabled(STATS_PER_SESSION_AUTO, 0, 1001));
	assert_true(stats_per_session_enabled(STATS_PER_SESSION_AUTO, 5, 5));
	assert_false(stats_per_session_enabled(STATS_PER_SESSION_AUTO, 5, 6));
	assert_true(stats_per_session_enabled(STATS_PER_SESSION_YES, 5, 100000));
	assert_false(stats_per_session_enabled(STATS_PER_SESSION_NO, 5, 0));
	assert_int_equal(stats_per_session_from_string("auto", &mode), 0);
	assert_int_equal(mode, STATS_PER_SESSION_AUTO);
	assert_int_equal(stats_per_session_from_string("yes", &mode), 0);
	assert_int_equal(mode, STATS_PER_SESSION_YES);
	assert_int_equal(stats_per_session_from_string("maybe", &mode), -EINVAL);
	assert_int_equal(mode, STATS_PER_SESSION_YES);
	assert_string_equal(stats_per_session_to_string(STATS_PER_SESSION_NO), "no");
}

/* promtool's parser and linter over an exposition with sessions and escapes. */
static int run_promtool(void)
{
	char path[] = "/tmp/sluice-stats-promtool.XXXXXX", cmd[256];
	struct stats_buf b;
	int fd, r;

	if (system("command -v promtool >/dev/null 2>&1") != 0) {
		fprintf(stderr, "skipped: promtool not installed\n");
		return 77;
	}
	stats_buf_init(&b, 1 << 24);
	{
		struct fake_provider f = {.n_sessions = 50};
		struct stats_provider p = fake_provider(&f);
		struct stats_global g = {0};

		fake_fill_global(&g, 0);
		if (stats_render_metrics(&g, &p, &b) < 0)
			return 1;
	}
	fd = mkstemp(path);
	if (fd < 0 || write(fd, b.data, b.len) != (ssize_t)b.len)
		return 1;
	close(fd);
	snprintf(cmd, sizeof(cmd), "promtool check metrics < %s", path);
	r = system(cmd);
	unlink(path);
	fprintf(stderr, "promtool check metrics: %s (%zu bytes)\n", r == 0 ? "ok" : "FAILED",
		b.len);
	stats_buf_free(&b);
	return r == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_global_json_golden),
	    cmocka_unit_test(test_session_json_golden),
	    cmocka_unit_test(test_sessions_json_paging),
	    cmocka_unit_test(test_metrics_golden_blocks),
	    cmocka_unit_test(test_metrics_one_block_per_family),
	    cmocka_unit_test(test_escaping),
	    cmocka_unit_test(test_buffer_cap),
	    cmocka_unit_test(test_hist_buckets),
	    cmocka_unit_test(test_percpu_sums),
	    cmocka_unit_test(test_snapshot_helpers),
	    cmocka_unit_test(test_names_match_control),
	    cmocka_unit_test(test_per_session_policy),
	};

	if (argc > 1 && !strcmp(argv[1], "--promtool"))
		return run_promtool();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
