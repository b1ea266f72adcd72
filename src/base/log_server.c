/*
 * The server side of a LOG session: decoding a write request. Every LOG
 * server (core, dummy's log_service, black_hole, terminal_log, test-init)
 * decodes with this and decides itself what to do with the text.
 */
#include <cairn/ep.h>
#include <cairn/log.h>
#include <cairn/wire.h>

int
cn_log_request(struct cn_rpc *rpc, char *text, size_t size)
{
	if (!rpc || !text || size < CN_MSG_STR_MAX + 1)
		return -EINVAL;
	if (rpc->opcode != CN_LOG_WRITE)
		return CN_ERR_INVALID_OPCODE;
	if (cn_msg_get_str(rpc->in, text, size) < 0 || cn_msg_end(rpc->in) < 0 ||
	    rpc->in->hdr.ncaps)
		return CN_ERR_BAD_MESSAGE;
	return 0;
}
