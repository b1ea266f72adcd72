/*
 * A start node's <host_terminal/>: the child is granted core's standard
 * input and output (see cn_pd_host_terminal), for a terminal driver such
 * as host_terminal; raw="yes" asks core to switch a terminal to raw mode. No grant without the
 * node; one component at a time, and a nested init passes on only what its parent granted it (core
 * checks).
 */
#include <cairn/log.h>

#include <string.h>

#include "init.h"

int
init_child_host_terminal(struct init *init, struct child *c)
{
	const struct cn_xml_node *node = c->start ? cn_xml_child(c->start, "host_terminal") : NULL;
	bool raw = false;
	int r;

	if (!node)
		return 0;
	if (cn_xml_next(node, "host_terminal")) {
		cn_error(init->env, "%s: more than one <host_terminal/> in its start node",
		         c->name);
		return -EINVAL;
	}
	if (cn_xml_has_attr(node, "raw") && cn_xml_attr_bool(node, "raw", &raw) < 0) {
		cn_error(init->env, "%s: <host_terminal/>: invalid raw", c->name);
		return -EINVAL;
	}
	r = cn_pd_host_terminal(c->pd, raw);
	if (r == -EBUSY)
		cn_error(init->env,
		         "%s: <host_terminal/>: not granted: another component holds the host "
		         "terminal",
		         c->name);
	else if (r == CN_ERR_DENIED)
		cn_error(init->env,
		         "%s: <host_terminal/>: not granted: my own parent did not grant it to me",
		         c->name);
	else if (r == CN_ERR_NOT_FOUND)
		cn_error(init->env, "%s: <host_terminal/>: core has no standard input or output",
		         c->name);
	else if (r < 0)
		cn_error(init->env, "%s: <host_terminal/>: %s", c->name, strerror(-r));
	/* a failed grant ends the child's creation as what it is (see host_dir.c) */
	if (r == CN_ERR_NOT_FOUND)
		return -ENXIO;
	return r == CN_ERR_DENIED ? -EPERM : r;
}
