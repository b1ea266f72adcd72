/* Shared by test-fs's modes (main.c: vfs, fs_rom; lx_fs.c: lx_fs). */
#ifndef TEST_FS_H
#define TEST_FS_H

#include <stdbool.h>
#include <stdint.h>

struct cn_env;
struct cn_fs;

enum { CONTENT_MAX = 4096 };

struct cn_env *test_fs_env(void);
__attribute__((noreturn, format(printf, 1, 2))) void fail(const char *fmt, ...);
uint64_t now_ms(void);
void expect(int r, int want, const char *what);
void check_content(struct cn_fs *fs, const char *path, const char *want);
struct cn_fs *open_fs(const char *label, bool writeable);
/* Run an lx_fs mode (it does not return); false if mode is none of them. */
bool test_lx_fs(const char *mode);
/* Random operations checked against a model (model.c; does not return). */
struct cn_xml_node;
void test_model(const struct cn_xml_node *config);

#endif
