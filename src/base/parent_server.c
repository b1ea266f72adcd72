/*
 * The parent side of the parent interface, as far as init and sequence
 * share it: decoding a child's requests.
 */
#include <cairn/ep.h>
#include <cairn/parent.h>

#include <unistd.h>

int
cn_parent_session_decode(struct cn_rpc *rpc, struct cn_parent_session_request *ret)
{
	struct cn_parent_session_request req, *q = &req;
	int r;

	if (cn_msg_get_u32(rpc->in, &q->id) < 0 ||
	    cn_msg_get_str(rpc->in, q->service, sizeof(q->service)) < 0 ||
	    cn_msg_get_str(rpc->in, q->args, sizeof(q->args)) < 0 || cn_msg_end(rpc->in) < 0 ||
	    rpc->in->hdr.ncaps)
		return CN_ERR_BAD_MESSAGE;
	if (q->id < CN_ENV_FIRST_DYNAMIC || cn_args_valid(q->args) < 0)
		return CN_ERR_INVALID_ARG;
	r = cn_args_str(q->args, "label", q->label, sizeof(q->label));
	if (r == -ENOENT)
		q->label[0] = 0;
	else if (r < 0)
		return CN_ERR_INVALID_ARG;
	q->ram_quota = q->cap_quota = 0;
	if (cn_args_u64(q->args, "ram_quota", &q->ram_quota) == -EINVAL ||
	    cn_args_u64(q->args, "cap_quota", &q->cap_quota) == -EINVAL)
		return CN_ERR_INVALID_ARG;
	*ret = req;
	return 0;
}

int
cn_parent_id_decode(struct cn_rpc *rpc, uint32_t *ret_id)
{
	if (cn_msg_get_u32(rpc->in, ret_id) < 0 || cn_msg_end(rpc->in) < 0 || rpc->in->hdr.ncaps)
		return CN_ERR_BAD_MESSAGE;
	return 0;
}

int
cn_parent_sigh_replace(struct cn_rpc *rpc, int *sigh)
{
	if (cn_msg_end(rpc->in) < 0 || rpc->in->hdr.ncaps != 1)
		return CN_ERR_BAD_MESSAGE;
	if (*sigh >= 0)
		close(*sigh);
	*sigh = cn_msg_take_cap(rpc->in, 0);
	return CN_OK;
}
