/*
 * A start node's <host_dir path="..." writeable="yes"/>: the child is
 * granted that directory of the host, beneath core's boot directory (see
 * cn_pd_host_dir). No grant without the node: a component never has host
 * access by default. A nested init passes on only what its parent granted
 * it (core checks).
 */
#include <cairn/log.h>

#include <string.h>

#include "init.h"

int
init_child_host_dir(struct init *init, struct child *c)
{
	const struct cn_xml_node *node = c->start ? cn_xml_child(c->start, "host_dir") : NULL;
	char path[CN_HOST_DIR_PATH_MAX];
	bool writeable = false;
	int r;

	if (!node)
		return 0;
	if (cn_xml_next(node, "host_dir")) {
		cn_error(init->env, "%s: more than one <host_dir> in its start node", c->name);
		return -EINVAL;
	}
	if (cn_xml_attr_str(node, "path", path, sizeof(path)) < 0 || !path[0]) {
		cn_error(init->env, "%s: <host_dir> without a valid path", c->name);
		return -EINVAL;
	}
	if (cn_xml_has_attr(node, "writeable") &&
	    cn_xml_attr_bool(node, "writeable", &writeable) < 0) {
		cn_error(init->env, "%s: <host_dir path=\"%s\">: invalid writeable", c->name, path);
		return -EINVAL;
	}
	r = cn_pd_host_dir(c->pd, path, writeable);
	if (r == CN_ERR_NOT_FOUND)
		cn_error(init->env,
		         "%s: <host_dir path=\"%s\">: no such directory in the boot directory",
		         c->name, path);
	else if (r == CN_ERR_INVALID_ARG)
		cn_error(init->env,
		         "%s: <host_dir path=\"%s\">: the path must be relative to the boot "
		         "directory, without \"..\"",
		         c->name, path);
	else if (r == CN_ERR_DENIED)
		cn_error(init->env,
		         "%s: <host_dir path=\"%s\">: not granted: beneath what my own "
		         "parent granted me only%s",
		         c->name, path, writeable ? ", and writeable only if that is" : "");
	else if (r < 0)
		cn_error(init->env, "%s: <host_dir path=\"%s\">: %s", c->name, path, strerror(-r));
	/* CN_ERR_DENIED would leave the child waiting as if a route were
	 * missing, CN_ERR_NOT_FOUND blame its binary: a failed grant ends its
	 * creation as what it is */
	if (r == CN_ERR_NOT_FOUND)
		return -ENOTDIR;
	return r == CN_ERR_DENIED ? -EPERM : r;
}
