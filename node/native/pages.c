/*
 * Keeps the pages of a read-only file mapping (the LMDB map) from piling up in the resident set.
 *
 * LMDB reads through a shared mapping of the database file; every page it touches stays mapped
 * (and the kernel maps cached neighbours with each faulted page, 84-94 KB a fault measured on the
 * development machine), so the process's
 * resident set grows towards the whole database although those pages are clean page cache.
 * madvise(MADV_DONTNEED) on a shared file mapping only removes our page-table entries: the data
 * stays in the page cache and the next access maps it again (a minor fault). Nothing is lost and
 * no reader sees different bytes.
 *
 * release(start, length) -> 0 or errno: releases one range (page-aligned outwards).
 * watch(file, budgetBytes, periodMs) -> handle > 0, or -errno: starts a thread that reads the
 *   process's file-backed resident size every period and, once it has grown by more than the
 *   budget since the last release, releases every current mapping of `file` (an absolute, real
 *   path, as /proc/self/maps names it). A thread, not a JavaScript timer: right after a release
 *   the readers fault pages back in at several GB/s while a timer waits for the event loop.
 * check(handle) -> 1 if it released now, 0 if not, -1 for an unknown handle: the watcher's check,
 *   run at once on the calling thread (the busiest reader calls it between pieces of work, so
 *   the budget holds even when the watcher thread waits for a core).
 * releases(handle) -> how many times that watcher released.
 * unwatch(handle) -> stops and joins the watcher; returns its release count, or -1 if unknown.
 *
 * The caller stops a watcher before it unmaps the file (closes the database); the mapping must not
 * move while watched (LMDB's map is allocated once at its full size here).
 */
#define NAPI_VERSION 8
#include <node_api.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define MAX_WATCHERS 64

typedef struct {
  pthread_t thread;
  atomic_int stop;
  atomic_ulong releases;
  char *file;
  uint64_t budget;
  unsigned period_ms;
  napi_env env;
  pthread_mutex_t mu; /* guards base and the release itself */
  uint64_t base;      /* file-backed resident bytes after the last release (or the lowest seen) */
} watcher;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static watcher *watchers[MAX_WATCHERS + 1]; /* handle = index; 0 unused */

static int release_range(uintptr_t from, uintptr_t to) {
  uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
  from &= ~(page - 1);
  to = (to + page - 1) & ~(page - 1);
  return madvise((void *)from, to - from, MADV_DONTNEED) == 0 ? 0 : errno;
}

/* File-backed (and shared) resident bytes: the third field of /proc/self/statm, in pages. */
static uint64_t resident_file_bytes(void) {
  FILE *f = fopen("/proc/self/statm", "r");
  unsigned long size = 0, resident = 0, shared = 0;
  if (!f) return 0;
  if (fscanf(f, "%lu %lu %lu", &size, &resident, &shared) != 3) shared = 0;
  fclose(f);
  return (uint64_t)shared * (uint64_t)sysconf(_SC_PAGESIZE);
}

/* Releases every mapping of `file` listed in /proc/self/maps; returns how many were released. */
static int release_file(const char *file) {
  FILE *f = fopen("/proc/self/maps", "r");
  char line[4352];
  int n = 0;
  size_t flen = strlen(file);
  if (!f) return 0;
  while (fgets(line, sizeof line, f)) {
    size_t len = strlen(line);
    if (len && line[len - 1] == '\n') line[--len] = 0;
    if (len < flen || strcmp(line + len - flen, file) != 0 || (len > flen && line[len - flen - 1] != ' ')) continue;
    unsigned long start, end;
    if (sscanf(line, "%lx-%lx", &start, &end) == 2 && release_range(start, end) == 0) n++;
  }
  fclose(f);
  return n;
}

/* One check: release if the budget is exceeded. Skipped while another thread is in one. */
static int step(watcher *w) {
  int released = 0;
  if (pthread_mutex_trylock(&w->mu) != 0) return 0;
  uint64_t now = resident_file_bytes();
  if (now < w->base) w->base = now; /* the kernel reclaimed some: measure growth from here */
  if (now - w->base > w->budget) {
    if (release_file(w->file) > 0) {
      atomic_fetch_add(&w->releases, 1);
      released = 1;
    }
    w->base = resident_file_bytes();
  }
  pthread_mutex_unlock(&w->mu);
  return released;
}

static void *watch_loop(void *arg) {
  watcher *w = arg;
  struct timespec period = { w->period_ms / 1000, (long)(w->period_ms % 1000) * 1000000L };
  while (!atomic_load(&w->stop)) {
    nanosleep(&period, NULL);
    step(w);
  }
  return NULL;
}

/* Stops and frees a watcher already taken out of the table. */
static unsigned long stop_watcher(watcher *w) {
  atomic_store(&w->stop, 1);
  pthread_join(w->thread, NULL);
  unsigned long n = atomic_load(&w->releases);
  pthread_mutex_destroy(&w->mu);
  free(w->file);
  free(w);
  return n;
}

static void cleanup_hook(void *arg) {
  watcher *w = arg;
  pthread_mutex_lock(&lock);
  for (int h = 1; h <= MAX_WATCHERS; h++) if (watchers[h] == w) watchers[h] = NULL;
  pthread_mutex_unlock(&lock);
  stop_watcher(w);
}

static watcher *take(int h) {
  watcher *w = NULL;
  pthread_mutex_lock(&lock);
  if (h >= 1 && h <= MAX_WATCHERS) {
    w = watchers[h];
    watchers[h] = NULL;
  }
  pthread_mutex_unlock(&lock);
  return w;
}

static napi_value number(napi_env env, double v) {
  napi_value r;
  napi_create_double(env, v, &r);
  return r;
}

static napi_value js_release(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  double start = 0, length = 0;
  int rc = EINVAL;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) == napi_ok && argc == 2 &&
      napi_get_value_double(env, argv[0], &start) == napi_ok &&
      napi_get_value_double(env, argv[1], &length) == napi_ok && start > 0 && length > 0) {
    rc = release_range((uintptr_t)start, (uintptr_t)start + (uintptr_t)length);
  }
  return number(env, rc);
}

static napi_value js_watch(napi_env env, napi_callback_info info) {
  size_t argc = 3, flen = 0;
  napi_value argv[3];
  double budget = -1, period = 0;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 3 ||
      napi_get_value_string_utf8(env, argv[0], NULL, 0, &flen) != napi_ok || flen == 0 || flen > 4096 ||
      napi_get_value_double(env, argv[1], &budget) != napi_ok || !(budget >= 0) ||
      napi_get_value_double(env, argv[2], &period) != napi_ok || !(period >= 1 && period <= 60000)) {
    return number(env, -EINVAL);
  }
  watcher *w = calloc(1, sizeof *w);
  char *file = malloc(flen + 1);
  if (!w || !file) {
    free(w);
    free(file);
    return number(env, -ENOMEM);
  }
  napi_get_value_string_utf8(env, argv[0], file, flen + 1, &flen);
  w->file = file;
  w->budget = (uint64_t)budget;
  w->period_ms = (unsigned)period;
  w->env = env;
  pthread_mutex_init(&w->mu, NULL);
  w->base = resident_file_bytes();
  int h = 0;
  pthread_mutex_lock(&lock);
  for (int i = 1; i <= MAX_WATCHERS && !h; i++) if (!watchers[i]) h = i;
  if (h) watchers[h] = w;
  pthread_mutex_unlock(&lock);
  int rc = h ? pthread_create(&w->thread, NULL, watch_loop, w) : EMFILE;
  if (rc != 0) {
    if (h) take(h);
    pthread_mutex_destroy(&w->mu);
    free(file);
    free(w);
    return number(env, -rc);
  }
  napi_add_env_cleanup_hook(env, cleanup_hook, w);
  return number(env, h);
}

static int32_t handle_arg(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t h = 0;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 1 ||
      napi_get_value_int32(env, argv[0], &h) != napi_ok) return 0;
  return h;
}

static napi_value js_releases(napi_env env, napi_callback_info info) {
  int32_t h = handle_arg(env, info);
  double n = -1;
  pthread_mutex_lock(&lock);
  if (h >= 1 && h <= MAX_WATCHERS && watchers[h]) n = (double)atomic_load(&watchers[h]->releases);
  pthread_mutex_unlock(&lock);
  return number(env, n);
}

static napi_value js_check(napi_env env, napi_callback_info info) {
  int32_t h = handle_arg(env, info);
  double r = -1;
  pthread_mutex_lock(&lock); /* keeps the watcher from being freed meanwhile */
  if (h >= 1 && h <= MAX_WATCHERS && watchers[h]) r = step(watchers[h]);
  pthread_mutex_unlock(&lock);
  return number(env, r);
}

static napi_value js_unwatch(napi_env env, napi_callback_info info) {
  watcher *w = take(handle_arg(env, info));
  if (!w) return number(env, -1);
  napi_remove_env_cleanup_hook(w->env, cleanup_hook, w);
  return number(env, (double)stop_watcher(w));
}

NAPI_MODULE_INIT() {
  static const struct { const char *name; napi_callback fn; } fns[] = {
    { "release", js_release }, { "watch", js_watch }, { "releases", js_releases }, { "check", js_check },
    { "unwatch", js_unwatch },
  };
  for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++) {
    napi_value fn;
    if (napi_create_function(env, fns[i].name, NAPI_AUTO_LENGTH, fns[i].fn, NULL, &fn) != napi_ok) return NULL;
    if (napi_set_named_property(env, exports, fns[i].name, fn) != napi_ok) return NULL;
  }
  return exports;
}
