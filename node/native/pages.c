/*
 * Releases the resident pages of a read-only file mapping (the LMDB map) back to the page cache.
 *
 * LMDB reads through a shared mapping of the database file; every page it touches stays mapped,
 * so the process's resident set grows to the whole database even though those pages are clean
 * page cache the kernel may drop at any time. madvise(MADV_DONTNEED) on a shared file mapping
 * only removes our page-table entries: the data stays in the page cache and the next access maps
 * it again (a minor fault). Nothing is lost and no reader sees different bytes.
 *
 * release(start, length) -> 0 or errno. `start` and `length` are numbers (byte addresses below
 * 2^53, which user-space addresses are on every 64-bit Linux).
 */
#define NAPI_VERSION 8
#include <node_api.h>
#include <errno.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

static napi_value release(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  double start = 0, length = 0;
  napi_value result;
  int rc = EINVAL;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) == napi_ok && argc == 2 &&
      napi_get_value_double(env, argv[0], &start) == napi_ok &&
      napi_get_value_double(env, argv[1], &length) == napi_ok && start > 0 && length > 0) {
    uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
    uintptr_t from = (uintptr_t)start, to = from + (uintptr_t)length;
    from &= ~(page - 1);
    to = (to + page - 1) & ~(page - 1);
    rc = madvise((void *)from, to - from, MADV_DONTNEED) == 0 ? 0 : errno;
  }
  napi_create_int32(env, rc, &result);
  return result;
}

NAPI_MODULE_INIT() {
  napi_value fn;
  if (napi_create_function(env, "release", NAPI_AUTO_LENGTH, release, NULL, &fn) != napi_ok) return NULL;
  if (napi_set_named_property(env, exports, "release", fn) != napi_ok) return NULL;
  return exports;
}
