/*
 * Minimal unit-test runner: every test runs in its own forked process with
 * a timeout, and fails if it leaks file descriptors.
 *
 * Usage: CN_TEST(name) { CN_ASSERT(...); }  and one CN_TEST_MAIN() per file.
 * The binary accepts test names as arguments to run only those.
 */
#ifndef CN_TEST_H
#define CN_TEST_H

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

struct cn_test {
	const char *name;
	void (*fn)(void);
};

enum { CN_TEST_MAX = 256, CN_TEST_TIMEOUT_S = 30 };

/* The wire module keeps reply channels for reuse; a test's fd count must
 * not include them. Weak: tests that do not link the wire module. */
void cn_wire_forget_channels(void) __attribute__((weak));

static struct cn_test cn_tests[CN_TEST_MAX];
static unsigned cn_tests_count;
static bool cn_test_skip_fd_check;

static inline void
cn_test_register(const char *name, void (*fn)(void))
{
	if (cn_tests_count < CN_TEST_MAX)
		cn_tests[cn_tests_count++] = (struct cn_test){name, fn};
}

#define CN_TEST(name)                                                                              \
	static void name(void);                                                                    \
	__attribute__((constructor)) static void cn_test_reg_##name(void)                          \
	{                                                                                          \
		cn_test_register(#name, name);                                                     \
	}                                                                                          \
	static void name(void)

#define CN_ASSERT(cond)                                                                            \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "%s:%d: assertion failed: %s\n", __FILE__, __LINE__,       \
			        #cond);                                                            \
			_exit(1);                                                                  \
		}                                                                                  \
	} while (0)

#define CN_ASSERT_EQ(a, b)                                                                         \
	do {                                                                                       \
		long long cn_a_ = (long long)(a), cn_b_ = (long long)(b);                          \
		if (cn_a_ != cn_b_) {                                                              \
			fprintf(stderr, "%s:%d: %s == %s failed: %lld != %lld\n", __FILE__,        \
			        __LINE__, #a, #b, cn_a_, cn_b_);                                   \
			_exit(1);                                                                  \
		}                                                                                  \
	} while (0)

#define CN_ASSERT_STR(a, b)                                                                        \
	do {                                                                                       \
		const char *cn_a_ = (a), *cn_b_ = (b);                                             \
		if (!cn_a_ || !cn_b_ || strcmp(cn_a_, cn_b_) != 0) {                               \
			fprintf(stderr, "%s:%d: %s == %s failed: \"%s\" != \"%s\"\n", __FILE__,    \
			        __LINE__, #a, #b, cn_a_ ? cn_a_ : "(null)",                        \
			        cn_b_ ? cn_b_ : "(null)");                                         \
			_exit(1);                                                                  \
		}                                                                                  \
	} while (0)

static inline int
cn_test_count_fds(void)
{
	DIR *d;

	/* reply channels kept for reuse are not leaks */
	if (cn_wire_forget_channels)
		cn_wire_forget_channels();
	d = opendir("/proc/self/fd");
	int n = 0;
	struct dirent *e;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1; /* the DIR's own fd */
}

/* Tests that intentionally keep fds (e.g. a server forked off) can opt out. */
static inline void
cn_test_no_fd_check(void)
{
	cn_test_skip_fd_check = true;
}

static inline int
cn_test_run_one(const struct cn_test *t)
{
	pid_t pid = fork();
	int status;

	if (pid < 0) {
		perror("fork");
		return 1;
	}
	if (pid == 0) {
		int before = cn_test_count_fds();
		setpgid(0, 0);
		alarm(CN_TEST_TIMEOUT_S);
		t->fn();
		int after = cn_test_count_fds();
		if (!cn_test_skip_fd_check && before != after) {
			fprintf(stderr, "%s: fd leak: %d fds before, %d after\n", t->name, before,
			        after);
			_exit(1);
		}
		_exit(0);
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	kill(-pid, SIGKILL); /* anything the test forked off */
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		printf("ok   %s\n", t->name);
		return 0;
	}
	if (WIFSIGNALED(status))
		printf("FAIL %s (signal %d%s)\n", t->name, WTERMSIG(status),
		       WTERMSIG(status) == SIGALRM ? ": timeout" : "");
	else
		printf("FAIL %s (exit %d)\n", t->name, WEXITSTATUS(status));
	return 1;
}

#define CN_TEST_MAIN()                                                                             \
	int main(int argc, char **argv)                                                            \
	{                                                                                          \
		int failed = 0, ran = 0;                                                           \
		setvbuf(stdout, NULL, _IOLBF, 0);                                                  \
		signal(SIGPIPE, SIG_IGN);                                                          \
		for (unsigned i = 0; i < cn_tests_count; i++) {                                    \
			bool selected = argc < 2;                                                  \
			for (int a = 1; a < argc; a++)                                             \
				selected |= strcmp(argv[a], cn_tests[i].name) == 0;                \
			if (!selected)                                                             \
				continue;                                                          \
			ran++;                                                                     \
			failed += cn_test_run_one(&cn_tests[i]);                                   \
		}                                                                                  \
		printf("%d of %d tests failed\n", failed, ran);                                    \
		return failed || ran == 0 ? 1 : 0;                                                 \
	}

#endif
