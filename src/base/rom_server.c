/*
 * The server side of a ROM session, shared by every ROM server (core's
 * boot modules, init's inline configs, report_rom).
 */
#include <cairn/ep.h>
#include <cairn/rom.h>

#include <unistd.h>

int
cn_rom_serve(struct cn_rpc *rpc, int ds, uint64_t size, int *sigh)
{
	int fd;

	switch (rpc->opcode) {
	case CN_ROM_DATASPACE:
		if (cn_msg_end(rpc->in) < 0 || rpc->in->hdr.ncaps)
			return CN_ERR_BAD_MESSAGE;
		if (ds < 0) {
			cn_msg_put_u64(rpc->out, 0); /* no content: an invalid ROM */
			return CN_OK;
		}
		fd = dup(ds);
		if (fd < 0)
			return -errno;
		cn_rpc_put_cap_owned(rpc, fd);
		cn_msg_put_u64(rpc->out, size);
		return CN_OK;
	case CN_ROM_SIGH:
		if (cn_msg_end(rpc->in) < 0 || rpc->in->hdr.ncaps != 1)
			return CN_ERR_BAD_MESSAGE;
		if (*sigh >= 0)
			close(*sigh);
		*sigh = cn_msg_take_cap(rpc->in, 0);
		return CN_OK;
	default:
		return CN_ERR_INVALID_OPCODE;
	}
}

void
cn_rom_notify(int *sigh)
{
	if (*sigh >= 0 && cn_signal_submit(*sigh, 1) == CN_ERR_DEAD_OBJECT) {
		close(*sigh);
		*sigh = -1;
	}
}
