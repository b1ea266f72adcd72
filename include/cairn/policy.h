/*
 * Server-side policy selection as in Genode's session_policy.h: among the
 * <policy> children of a config node, pick the one that matches the session
 * label best (label= exact beats label_prefix= beats label_suffix=; a longer
 * prefix/suffix wins; on a tie the earlier node). A <policy> without any of
 * the three attributes never matches. Fall back to <default-policy>.
 * Labels and attribute values are compared whitespace-trimmed.
 */
#ifndef CAIRN_POLICY_H
#define CAIRN_POLICY_H

#include <cairn/xml.h>

/* The selected node, or NULL if no policy matches and there is no
 * <default-policy> (the caller denies the session). */
const struct cn_xml_node *cn_policy_select(const struct cn_xml_node *config, const char *label);

/* Whether one node with label/label_prefix/label_suffix attributes matches
 * label (all present attributes must match; none present: false). */
bool cn_policy_matches(const struct cn_xml_node *node, const char *label);

#endif
