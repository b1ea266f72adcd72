/*
 * test-init_loop: Genode's test for repeated child creation in a dynamic
 * init (os/src/test/init_loop). It writes the config of a sub-init through
 * report_rom: a LOG server (dummy) and, every other round, a client whose
 * LOG sessions go to the server. From the sub-init's state report it
 * removes the client once the client's LOG session is CAP_HANDED_OUT and
 * adds it again once the client is gone and the server provides no
 * session. At each new round it compares the RAM quota of init and of the
 * server with the round before: a loss of more than 16 KiB in total is
 * "Error: unexpected quota distribution" and exit 1; after 20 rounds it
 * exits with 0.
 */
#include <cairn/env.h>
#include <cairn/log.h>
#include <cairn/xml_gen.h>

#include "sub_init.h"

enum {
	ITERATIONS = 20,        /* rounds until success */
	LOSS_LIMIT = 16 * 1024, /* bytes of quota init or the server may lose */
	CONFIG_MAX = 8192,      /* bytes of a generated init config */
};

struct ram_tracker {
	const char *name;
	uint64_t previous; /* quota of the previous round, 0 before the first */
	uint64_t total_loss;
};

/* The component's only mutable state. */
static struct {
	struct cn_env *env;
	struct test_sub_init init;
	bool client_starting;
	unsigned cnt;
	struct ram_tracker init_ram, server_ram;
} state = {
    .init_ram = {.name = "init"},
    .server_ram = {.name = "server"},
};

static void
ram_tracker_update(struct ram_tracker *t, const struct cn_xml_node *ram)
{
	uint64_t current = test_attr_bytes(ram, "quota");
	char num[32];

	cn_log(state.env, "%s RAM: %s", t->name, test_bytes(current, num, sizeof(num)));
	if (t->previous) {
		if (current < t->previous) {
			t->total_loss += t->previous - current;
			cn_log(state.env, "%s lost %" PRIu64 " bytes (total %" PRIu64 " bytes)",
			       t->name, t->previous - current, t->total_loss);
		}
		if (current > t->previous)
			cn_log(state.env, "%s gained %" PRIu64 " bytes", t->name,
			       current - t->previous);
	}
	t->previous = current;
}

static void
gen_route_to_parent(struct cn_xml_gen *g)
{
	test_gen_open(g, "any-service");
	test_gen_open(g, "parent");
	cn_xml_gen_close(g);
	cn_xml_gen_close(g);
}

static void
gen_start_head(struct cn_xml_gen *g, const char *name, const char *caps)
{
	test_gen_open(g, "start");
	cn_xml_gen_attr(g, "name", name);
	cn_xml_gen_attr(g, "caps", caps);
	test_gen_open(g, "resource");
	cn_xml_gen_attr(g, "name", "RAM");
	cn_xml_gen_attr(g, "quantum", "1M");
	cn_xml_gen_close(g);
	test_gen_node_attr(g, "binary", "name", "dummy");
}

static void
gen_log_server(struct cn_xml_gen *g)
{
	gen_start_head(g, "server", "100");
	test_gen_open(g, "config");
	test_gen_open(g, "log_service");
	cn_xml_gen_close(g);
	cn_xml_gen_close(g);
	test_gen_open(g, "provides");
	test_gen_node_attr(g, "service", "name", "LOG");
	cn_xml_gen_close(g);
	test_gen_open(g, "route");
	gen_route_to_parent(g);
	cn_xml_gen_close(g);
	cn_xml_gen_close(g);
}

static void
gen_log_client(struct cn_xml_gen *g)
{
	gen_start_head(g, "client", "200");
	test_gen_open(g, "config");
	test_gen_open(g, "create_log_connections");
	cn_xml_gen_attr(g, "count", "1");
	cn_xml_gen_attr(g, "ram_upgrade", "64K");
	cn_xml_gen_close(g);
	test_gen_node_attr(g, "log", "string", "client started");
	cn_xml_gen_close(g);
	test_gen_open(g, "route");
	test_gen_open(g, "service");
	cn_xml_gen_attr(g, "name", "LOG");
	test_gen_node_attr(g, "child", "name", "server");
	cn_xml_gen_close(g);
	gen_route_to_parent(g);
	cn_xml_gen_close(g);
	cn_xml_gen_close(g);
}

static void
generate_init_config(void)
{
	static const char *const report_flags[] = {"requested", "provided",  "init_ram",
	                                           "init_caps", "child_ram", "child_caps"};
	static const char *const services[] = {"ROM", "CPU", "PD", "RM", "LOG"};
	struct cn_xml_gen g;

	cn_xml_gen_init(&g, CONFIG_MAX);
	test_gen_open(&g, "config");
	test_gen_open(&g, "report");
	for (size_t i = 0; i < sizeof(report_flags) / sizeof(report_flags[0]); i++)
		cn_xml_gen_attr(&g, report_flags[i], "yes");
	cn_xml_gen_attr(&g, "delay_ms", "100");
	cn_xml_gen_close(&g);
	test_gen_open(&g, "parent-provides");
	for (size_t i = 0; i < sizeof(services) / sizeof(services[0]); i++)
		test_gen_node_attr(&g, "service", "name", services[i]);
	cn_xml_gen_close(&g);
	gen_log_server(&g);
	if (state.client_starting)
		gen_log_client(&g);
	cn_xml_gen_close(&g);
	test_sub_init_publish(&state.init, &g);
}

/* The client runs and its LOG session is established. */
static bool
client_complete(const struct cn_xml_node *client)
{
	cn_xml_for_each(requested, client, "requested")
	{
		cn_xml_for_each(session, requested, "session")
		{
			if (cn_xml_attr_is(session, "service", "LOG") &&
			    cn_xml_attr_is(session, "state", "CAP_HANDED_OUT"))
				return true;
		}
	}
	return false;
}

/* The server still provides a session. */
static bool
client_connected(const struct cn_xml_node *server)
{
	cn_xml_for_each(provided, server, "provided") if (cn_xml_child(provided, NULL)) return true;
	return false;
}

static void
handle_init_state(void *data, uint32_t count)
{
	const struct cn_xml_node *st = test_sub_init_state(&state.init);
	const struct cn_xml_node *client = st ? test_state_child(st, "client") : NULL;
	const struct cn_xml_node *server = st ? test_state_child(st, "server") : NULL;

	(void)data;
	(void)count;
	if (state.client_starting) {
		/* remove the client as soon as it is up completely */
		if (client && client_complete(client))
			state.client_starting = false;
	} else if (!client && !(server && client_connected(server))) {
		/* start the client again as soon as it is gone */
		state.cnt++;
		cn_log(state.env, "iteration %u", state.cnt);
		if (st && cn_xml_child(st, "ram"))
			ram_tracker_update(&state.init_ram, cn_xml_child(st, "ram"));
		if (server)
			ram_tracker_update(&state.server_ram, cn_xml_child(server, "ram"));
		state.client_starting = true;
		if (state.init_ram.total_loss > LOSS_LIMIT ||
		    state.server_ram.total_loss > LOSS_LIMIT) {
			cn_error(state.env, "unexpected quota distribution");
			cn_exit(state.env, 1);
		}
	}
	if (state.cnt == ITERATIONS)
		cn_exit(state.env, 0);
	generate_init_config();
}

void
cn_construct(struct cn_env *env)
{
	int r;

	state.env = env;
	r = test_sub_init_open(&state.init, env, CONFIG_MAX, handle_init_state);
	if (r < 0) {
		cn_error(env, "cannot connect to the sub-init: %s", cn_strerror(r));
		cn_exit(env, 3);
	}
	handle_init_state(NULL, 0);
}
