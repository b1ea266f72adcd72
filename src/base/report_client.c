/*
 * Report session client: attach the server's buffer, copy a report into
 * it and submit its length.
 */
#include <cairn/env.h>
#include <cairn/report.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base.h"

struct cn_report {
	struct cn_env *env;
	int cap;
	uint32_t id;
	struct cn_ds ds; /* the buffer, attached writable */
};

int
cn_report_open(struct cn_env *env, const char *label, size_t buffer_size,
               struct cn_report **ret_report)
{
	struct cn_report *report;
	char args[64];
	int r;

	if (!env || !ret_report || buffer_size == 0 || buffer_size > CN_REPORT_BUFFER_MAX)
		return -EINVAL;
	report = calloc(1, sizeof(*report));
	if (!report)
		return -ENOMEM;
	report->env = env;
	report->ds.cap = -1;
	snprintf(args, sizeof(args), "buffer_size=%zu", buffer_size);
	r = cn_session_open(env, "Report", label ? label : "", cn_report_session_ram(buffer_size),
	                    CN_REPORT_SESSION_CAPS, args, &report->cap, &report->id);
	if (r == 0) {
		r = cn_session_buffer_attach(report->cap, CN_REPORT_DATASPACE, buffer_size,
		                             SIZE_MAX, &report->ds);
		if (r < 0) {
			cn_session_close(env, report->id);
			close(report->cap);
		}
	}
	if (r < 0) {
		free(report);
		return r;
	}
	*ret_report = report;
	return 0;
}

void
cn_report_close(struct cn_report *report)
{
	if (!report)
		return;
	cn_ds_release(&report->ds);
	cn_session_close(report->env, report->id);
	close(report->cap);
	free(report);
}

static int
call(struct cn_report *report, int32_t op, const uint64_t *arg, int cap, uint64_t *ret)
{
	struct cn_msg msg;
	uint64_t value;
	int r;

	msg.owns_caps = false;
	cn_msg_init(&msg, op);
	if (arg)
		cn_msg_put_u64(&msg, *arg);
	if (cap >= 0)
		cn_msg_put_cap(&msg, cap);
	r = cn_call(report->cap, &msg);
	if (r >= 0 && ret) {
		if (cn_msg_get_u64(&msg, &value) < 0 || cn_msg_end(&msg) < 0)
			r = CN_ERR_BAD_MESSAGE;
		else
			*ret = value;
	}
	cn_msg_reset(&msg);
	return r < 0 ? r : 0;
}

int
cn_report_submit(struct cn_report *report, const void *data, size_t len)
{
	uint64_t length = len;

	if (!report || (!data && len))
		return -EINVAL;
	if (len > report->ds.size)
		return CN_ERR_TOO_BIG;
	if (len && data != report->ds.addr)
		memmove(report->ds.addr, data, len);
	return call(report, CN_REPORT_SUBMIT, &length, -1, NULL);
}

void *
cn_report_buffer(const struct cn_report *report)
{
	return report->ds.addr;
}

size_t
cn_report_buffer_size(const struct cn_report *report)
{
	return report->ds.size;
}

int
cn_report_response_sigh(struct cn_report *report, int sig_cap)
{
	if (!report || sig_cap < 0)
		return -EINVAL;
	return call(report, CN_REPORT_RESPONSE_SIGH, NULL, sig_cap, NULL);
}

int
cn_report_obtain_response(struct cn_report *report, size_t *ret_len)
{
	uint64_t len;
	int r;

	if (!report || !ret_len)
		return -EINVAL;
	r = call(report, CN_REPORT_OBTAIN_RESPONSE, NULL, -1, &len);
	if (r < 0)
		return r;
	if (len > report->ds.size)
		return CN_ERR_BAD_MESSAGE;
	*ret_len = (size_t)len;
	return 0;
}

int
cn_report_cap(const struct cn_report *report)
{
	return report->cap;
}
