/*
 * The client side of the PD session and of dataspaces.
 */
#include <cairn/pd.h>
#include <cairn/wire.h>

#include <sys/mman.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "base.h"

int
cn_pd_ref_account(int pd, int ref_pd)
{
	struct cn_msg msg;
	int r;

	msg.owns_caps = false;
	cn_msg_init(&msg, CN_PD_REF_ACCOUNT);
	cn_msg_put_cap(&msg, ref_pd);
	r = cn_call(pd, &msg);
	cn_msg_reset(&msg);
	return r < 0 ? r : 0;
}

int
cn_pd_transfer_quota(int pd, int to_pd, uint64_t ram, uint64_t caps)
{
	struct cn_msg msg;
	int r;

	msg.owns_caps = false;
	cn_msg_init(&msg, CN_PD_TRANSFER_QUOTA);
	cn_msg_put_cap(&msg, to_pd);
	cn_msg_put_u64(&msg, ram);
	cn_msg_put_u64(&msg, caps);
	r = cn_call(pd, &msg);
	cn_msg_reset(&msg);
	return r < 0 ? r : 0;
}

int
cn_pd_quota(int pd, struct cn_pd_quota *ret)
{
	struct cn_msg msg;
	struct cn_pd_quota q;
	int r;

	msg.owns_caps = false;
	cn_msg_init(&msg, CN_PD_QUOTA);
	r = cn_call(pd, &msg);
	if (r >= 0) {
		cn_msg_get_u64(&msg, &q.ram_quota);
		cn_msg_get_u64(&msg, &q.ram_used);
		cn_msg_get_u64(&msg, &q.cap_quota);
		cn_msg_get_u64(&msg, &q.cap_used);
		r = cn_msg_end(&msg);
		if (r == 0)
			*ret = q;
	}
	cn_msg_reset(&msg);
	return r < 0 ? r : 0;
}

int
cn_pd_alloc_ram(int pd, size_t size, struct cn_ds *ret)
{
	struct cn_msg msg;
	uint64_t got;
	int r;

	msg.owns_caps = false;
	cn_msg_init(&msg, CN_PD_ALLOC_RAM);
	cn_msg_put_u64(&msg, size);
	r = cn_call(pd, &msg);
	if (r >= 0) {
		if (msg.hdr.ncaps != 1 || cn_msg_get_u64(&msg, &got) < 0 || cn_msg_end(&msg) < 0) {
			r = CN_ERR_BAD_MESSAGE;
		} else {
			*ret = (struct cn_ds){
			    .cap = cn_msg_take_cap(&msg, 0), .size = got, .writeable = 1};
			r = 0;
		}
	}
	cn_msg_reset(&msg);
	return r;
}

int
cn_pd_free_ram(int pd, struct cn_ds *ds)
{
	struct cn_msg msg;
	int r;

	cn_ds_detach(ds);
	msg.owns_caps = false;
	cn_msg_init(&msg, CN_PD_FREE_RAM);
	cn_msg_put_cap(&msg, ds->cap);
	r = cn_call(pd, &msg);
	cn_msg_reset(&msg);
	cn_ds_release(ds);
	return r < 0 ? r : 0;
}

int
cn_pd_seal_ram(int pd, struct cn_ds *ds)
{
	struct cn_msg msg;
	int r;

	cn_ds_detach(ds);
	msg.owns_caps = false;
	cn_msg_init(&msg, CN_PD_SEAL_RAM);
	cn_msg_put_cap(&msg, ds->cap);
	r = cn_call(pd, &msg);
	if (r >= 0 && msg.hdr.ncaps != 1)
		r = CN_ERR_BAD_MESSAGE;
	if (r >= 0) {
		close(ds->cap);
		ds->cap = cn_msg_take_cap(&msg, 0);
		ds->writeable = 0;
	}
	cn_msg_reset(&msg);
	return r < 0 ? r : 0;
}

int
cn_pd_alloc_sealed(int pd, const void *data, size_t len, struct cn_ds *ret)
{
	struct cn_ds ds = {.cap = -1, .fd = -1};
	int r;

	if (len == 0 || !data || !ret)
		return -EINVAL;
	r = cn_pd_alloc_ram(pd, len, &ds);
	if (r < 0)
		return r;
	r = cn_ds_attach(&ds);
	if (r == 0) {
		memcpy(ds.addr, data, len);
		r = cn_pd_seal_ram(pd, &ds); /* detaches */
	}
	if (r < 0) {
		cn_pd_free_ram(pd, &ds);
		return r;
	}
	*ret = ds;
	return 0;
}

int
cn_pd_spawn(int pd, const char *binary, int binary_ds, int parent_cap, int exit_sigh)
{
	struct cn_msg msg;
	int r;

	if (!binary)
		return -EINVAL;
	msg.owns_caps = false;
	cn_msg_init(&msg, CN_PD_SPAWN);
	cn_msg_put_str(&msg, binary);
	cn_msg_put_cap(&msg, parent_cap);
	cn_msg_put_cap(&msg, exit_sigh);
	if (binary_ds >= 0)
		cn_msg_put_cap(&msg, binary_ds);
	r = cn_call(pd, &msg);
	cn_msg_reset(&msg);
	return r < 0 ? r : 0;
}

int
cn_pd_host_dir(int pd, const char *path, int writeable)
{
	struct cn_msg msg;
	int r;

	if (!path || strlen(path) >= CN_HOST_DIR_PATH_MAX)
		return -EINVAL;
	msg.owns_caps = false;
	cn_msg_init(&msg, CN_PD_HOST_DIR);
	cn_msg_put_str(&msg, path);
	cn_msg_put_u32(&msg, writeable ? 1 : 0);
	r = cn_call(pd, &msg);
	cn_msg_reset(&msg);
	return r < 0 ? r : 0;
}

int
cn_pd_host_terminal(int pd, int raw)
{
	struct cn_msg msg;
	int r;

	msg.owns_caps = false;
	cn_msg_init(&msg, CN_PD_HOST_TERMINAL);
	cn_msg_put_u32(&msg, raw ? 1 : 0);
	r = cn_call(pd, &msg);
	cn_msg_reset(&msg);
	return r < 0 ? r : 0;
}

int
cn_pd_exit_status(int pd, uint32_t *ret_state, int32_t *ret_value, char *detail, size_t size)
{
	struct cn_msg msg;
	uint32_t st;
	int32_t value;
	int r;

	if (!ret_state || !ret_value || !detail || !size)
		return -EINVAL;
	msg.owns_caps = false;
	cn_msg_init(&msg, CN_PD_EXIT_STATUS);
	r = cn_call(pd, &msg);
	if (r >= 0 && (cn_msg_get_u32(&msg, &st) < 0 || cn_msg_get_i32(&msg, &value) < 0 ||
	               cn_msg_get_str(&msg, detail, size) < 0))
		r = CN_ERR_BAD_MESSAGE;
	cn_msg_reset(&msg);
	if (r < 0)
		return r;
	*ret_state = st;
	*ret_value = value;
	return 0;
}

int
cn_ds_attach(struct cn_ds *ds)
{
	void *p;

	if (ds->addr)
		return 0;
	if (ds->cap < 0 || ds->size == 0)
		return -EINVAL;
	p = mmap(NULL, ds->size, PROT_READ | (ds->writeable ? PROT_WRITE : 0), MAP_SHARED, ds->cap,
	         0);
	if (p == MAP_FAILED)
		return -errno;
	ds->addr = p;
	return 0;
}

void
cn_ds_detach(struct cn_ds *ds)
{
	if (ds->addr)
		munmap(ds->addr, ds->size);
	ds->addr = NULL;
}

void
cn_ds_release(struct cn_ds *ds)
{
	cn_ds_detach(ds);
	if (ds->cap >= 0)
		close(ds->cap);
	ds->cap = -1;
}

int
cn_session_buffer_attach(int session_cap, int32_t op, uint64_t min_size, uint64_t max_size,
                         struct cn_ds *ret_ds)
{
	struct cn_msg msg;
	struct cn_ds ds = {.cap = -1, .fd = -1};
	uint64_t size;
	int r;

	msg.owns_caps = false;
	cn_msg_init(&msg, op);
	r = cn_call(session_cap, &msg);
	if (r >= 0) {
		if (cn_msg_get_u64(&msg, &size) < 0 || cn_msg_end(&msg) < 0 || msg.hdr.ncaps != 1 ||
		    size < min_size || size > max_size || size > SIZE_MAX) {
			r = CN_ERR_BAD_MESSAGE;
		} else {
			ds.cap = cn_msg_take_cap(&msg, 0);
			ds.size = (size_t)size;
			ds.writeable = 1;
			r = cn_ds_attach(&ds);
		}
	}
	cn_msg_reset(&msg);
	if (r < 0) {
		cn_ds_release(&ds);
		return r;
	}
	*ret_ds = ds;
	return 0;
}
