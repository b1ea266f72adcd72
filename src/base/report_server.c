/*
 * The server side of a Report session, shared by report_rom and black_hole:
 * everything but what a server does with a submitted report.
 */
#include <cairn/ep.h>
#include <cairn/report.h>

#include <unistd.h>

int
cn_report_serve(struct cn_rpc *rpc, const struct cn_ds *buffer, uint64_t *ret_length)
{
	bool no_args = cn_msg_end(rpc->in) == 0 && rpc->in->hdr.ncaps == 0;
	uint64_t length;
	int fd;

	switch (rpc->opcode) {
	case CN_REPORT_DATASPACE:
		if (!no_args)
			return CN_ERR_BAD_MESSAGE;
		fd = dup(buffer->cap);
		if (fd < 0)
			return -errno;
		cn_rpc_put_cap_owned(rpc, fd);
		cn_msg_put_u64(rpc->out, buffer->size);
		return CN_OK;
	case CN_REPORT_SUBMIT:
		if (cn_msg_get_u64(rpc->in, &length) < 0 || cn_msg_end(rpc->in) < 0 ||
		    rpc->in->hdr.ncaps)
			return CN_ERR_BAD_MESSAGE;
		*ret_length = length;
		return length > buffer->size ? CN_ERR_TOO_BIG : CN_REPORT_SUBMITTED;
	case CN_REPORT_RESPONSE_SIGH:
		/* accepted; neither report_rom nor black_hole ever responds */
		return cn_msg_end(rpc->in) < 0 || rpc->in->hdr.ncaps != 1 ? CN_ERR_BAD_MESSAGE
		                                                          : CN_OK;
	case CN_REPORT_OBTAIN_RESPONSE:
		if (!no_args)
			return CN_ERR_BAD_MESSAGE;
		cn_msg_put_u64(rpc->out, 0);
		return CN_OK;
	default:
		return CN_ERR_INVALID_OPCODE;
	}
}
