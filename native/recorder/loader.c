/*
 * hush-recorder: loads recorder.bpf.c, follows one unit's cgroup, and writes what the kernel side
 * records to a stream as lines the controller reads (core/ebpf/stream.ts):
 *
 *   R <base64 of one record>            a decoded call (record.h, byte areas cut to their lengths)
 *   C <nr> <calls>                      calls counted per syscall number (at the end)
 *   F <nr> <errno> <calls>              failed calls per number and errno (at the end)
 *   L <n>                               records lost (ring buffer full, no task storage)
 *   E                                   the end: everything above was written
 *
 * Record bytes never appear raw: base64 has no newline, so nothing a traced process puts in a
 * file name can end a line or forge one. Usage:
 *
 *   hush-recorder --probe                         load and attach, then exit 0 (the host check)
 *   hush-recorder --cgroup /system.slice/x.service --sigs FILE --out FIFO|- [--ready FILE]
 *                 [--watch DIR] [--cgroup-root DIR]
 *        record until SIGTERM/SIGINT or DIR is gone; the cgroup path is relative to the v2
 *        hierarchy's root (default /sys/fs/cgroup; /sys/fs/cgroup/unified on a hybrid layout)
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int64_t s64;
#include "record.h"
#include "recorder.skel.h"

static volatile sig_atomic_t stopping = 0;
static void on_signal(int sig) { (void)sig; stopping = 1; }

static FILE *out;

static void die(const char *what) {
  fprintf(stderr, "hush-recorder: %s: %s\n", what, strerror(errno));
  exit(2);
}

static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void write_b64(const u8 *p, size_t n) {
  char line[4 * (sizeof(struct record) + 2) / 3 + 8];
  size_t o = 0;
  line[o++] = 'R';
  line[o++] = ' ';
  for (size_t i = 0; i < n; i += 3) {
    u32 v = (u32)p[i] << 16 | (i + 1 < n ? (u32)p[i + 1] << 8 : 0) | (i + 2 < n ? p[i + 2] : 0);
    line[o++] = B64[(v >> 18) & 63];
    line[o++] = B64[(v >> 12) & 63];
    line[o++] = i + 1 < n ? B64[(v >> 6) & 63] : '=';
    line[o++] = i + 2 < n ? B64[v & 63] : '=';
  }
  line[o++] = '\n';
  if (fwrite(line, 1, o, out) != o) stopping = 2;
}

/*
 * The record on the wire: its fixed head (up to the strings) and then each byte area cut to the
 * length the head gives for it (strings, address, extra, decorations), so an empty slot costs
 * nothing. core/ebpf/record.ts reads the same order.
 */
static int on_record(void *ctx, void *data, size_t size) {
  (void)ctx;
  if (size != sizeof(struct record)) return 0;
  const struct record *r = data;
  static u8 buf[sizeof(struct record)];
  size_t o = offsetof(struct record, str);
  memcpy(buf, r, o);
  for (int j = 0; j < NSTR; j++) {
    size_t n = r->str_len[j] < STR_MAX ? r->str_len[j] : STR_MAX;
    memcpy(buf + o, r->str[j], n);
    o += n;
  }
  size_t n = r->sa_len < SA_MAX ? r->sa_len : SA_MAX;
  memcpy(buf + o, r->sa, n);
  o += n;
  n = r->extra_len < EXTRA_MAX ? r->extra_len : EXTRA_MAX;
  memcpy(buf + o, r->extra, n);
  o += n;
  for (int j = 0; j < NDEC; j++) {
    n = r->dec[j].len < DEC_MAX ? r->dec[j].len : DEC_MAX;
    memcpy(buf + o, r->decbuf[j], n);
    o += n;
  }
  write_b64(buf, o);
  return 0;
}

static int load_sigs(struct recorder *skel, const char *file) {
  FILE *f = fopen(file, "r");
  if (!f) die(file);
  unsigned nr, flags, special, s0, s1, f0, f1, sa, salen, keymask;
  int fd = bpf_map__fd(skel->maps.sigs), n = 0;
  while (fscanf(f, "%u %u %u %u %u %u %u %u %u %u", &nr, &flags, &special, &s0, &s1, &f0, &f1, &sa,
                &salen, &keymask) == 10) {
    if (nr >= NR_MAX) continue;
    struct sig s = {.flags = flags, .special = special, .str = {s0, s1}, .fd = {f0, f1},
                    .sa = sa, .salen = salen, .keymask = keymask};
    if (bpf_map_update_elem(fd, &nr, &s, BPF_ANY) != 0) die("sigs map");
    n++;
  }
  fclose(f);
  return n;
}

static void dump_counts(struct recorder *skel) {
  int ncpu = libbpf_num_possible_cpus();
  if (ncpu <= 0) return;
  u64 *vals = calloc(ncpu, sizeof(u64));
  int cfd = bpf_map__fd(skel->maps.counts);
  for (u32 nr = 0; nr < NR_MAX; nr++) {
    if (bpf_map_lookup_elem(cfd, &nr, vals) != 0) continue;
    u64 sum = 0;
    for (int c = 0; c < ncpu; c++) sum += vals[c];
    if (sum) fprintf(out, "C %u %llu\n", nr, (unsigned long long)sum);
  }
  int ffd = bpf_map__fd(skel->maps.fails);
  u32 key, next;
  int more = bpf_map_get_next_key(ffd, NULL, &next) == 0;
  while (more) {
    key = next;
    if (bpf_map_lookup_elem(ffd, &key, vals) == 0) {
      u64 sum = 0;
      for (int c = 0; c < ncpu; c++) sum += vals[c];
      if (sum) fprintf(out, "F %u %u %llu\n", key >> 12, key & 0xfff, (unsigned long long)sum);
    }
    more = bpf_map_get_next_key(ffd, &key, &next) == 0;
  }
  free(vals);
  fprintf(out, "L %llu\n", (unsigned long long)skel->bss->lost);
}

static int silent(enum libbpf_print_level level, const char *fmt, va_list args) {
  if (level == LIBBPF_WARN) return vfprintf(stderr, fmt, args);
  return 0;
}

int main(int argc, char **argv) {
  const char *cgroup = NULL, *root = "/sys/fs/cgroup", *sigs = NULL, *outp = NULL, *ready = NULL, *watch = NULL;
  int probe = 0;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--probe")) probe = 1;
    else if (i + 1 < argc && !strcmp(argv[i], "--cgroup")) cgroup = argv[++i];
    else if (i + 1 < argc && !strcmp(argv[i], "--cgroup-root")) root = argv[++i];
    else if (i + 1 < argc && !strcmp(argv[i], "--sigs")) sigs = argv[++i];
    else if (i + 1 < argc && !strcmp(argv[i], "--out")) outp = argv[++i];
    else if (i + 1 < argc && !strcmp(argv[i], "--ready")) ready = argv[++i];
    else if (i + 1 < argc && !strcmp(argv[i], "--watch")) watch = argv[++i];
    else {
      fprintf(stderr, "hush-recorder: unknown argument %s\n", argv[i]);
      return 64;
    }
  }
  if (!probe && (!cgroup || !sigs || !outp)) {
    fprintf(stderr, "hush-recorder: --cgroup, --sigs and --out are required\n");
    return 64;
  }
  if (cgroup && (cgroup[0] != '/' || strlen(cgroup) >= 255 || strstr(cgroup, ".."))) {
    fprintf(stderr, "hush-recorder: bad cgroup path\n");
    return 64;
  }
  libbpf_set_print(silent);
  struct rlimit rl = {RLIM_INFINITY, RLIM_INFINITY};
  setrlimit(RLIMIT_MEMLOCK, &rl); /* kernels >= 5.11 charge the cgroup instead; harmless there */
  struct recorder *skel = recorder__open();
  if (!skel) die("open");
  if (cgroup) {
    size_t n = strlen(cgroup);
    memcpy((char *)skel->rodata->unit_cgroup, cgroup, n);
    skel->rodata->unit_cgroup_len = n;
  }
  u64 seed = 0;
  if (getrandom(&seed, sizeof(seed), 0) != sizeof(seed)) seed = (u64)time(NULL) * 0x9e3779b97f4a7c15ULL;
  skel->rodata->seed = seed;
  if (recorder__load(skel)) die("load (the kernel refused the BPF programs)");
  if (recorder__attach(skel)) die("attach");
  if (probe) {
    printf("hush-recorder: ok\n");
    recorder__destroy(skel);
    return 0;
  }
  int nsigs = load_sigs(skel, sigs);
  if (nsigs == 0) {
    fprintf(stderr, "hush-recorder: no decoding plan in %s\n", sigs);
    return 65;
  }
  char dir[512];
  snprintf(dir, sizeof(dir), "%s%s", root, cgroup);
  struct stat st;
  if (stat(dir, &st) == 0) {
    /* slot 0 of the kernel side's cgroup ids is the loader's; cgroup_mkdir fills the others */
    skel->bss->unit_cgids[0] = st.st_ino;
  }
  signal(SIGTERM, on_signal);
  signal(SIGINT, on_signal);
  signal(SIGPIPE, SIG_IGN);
  out = strcmp(outp, "-") == 0 ? fdopen(STDOUT_FILENO, "w") : fopen(outp, "w");
  if (!out) die(outp);
  setvbuf(out, NULL, _IOFBF, 1 << 16);
  struct ring_buffer *rb = ring_buffer__new(bpf_map__fd(skel->maps.rb), on_record, NULL, NULL);
  if (!rb) die("ring buffer");
  if (ready) {
    FILE *r = fopen(ready, "w");
    if (r) {
      fprintf(r, "%d\n", (int)getpid());
      fclose(r);
    }
  }
  while (!stopping) {
    int n = ring_buffer__poll(rb, 200);
    if (n < 0 && n != -EINTR) break;
    fflush(out);
    if (watch && access(watch, F_OK) != 0) break;
  }
  if (stopping != 2) {
    /* detach first: nothing new arrives while the last records and the counters are read */
    recorder__detach(skel);
    ring_buffer__consume(rb);
    dump_counts(skel);
    fprintf(out, "E\n");
    fflush(out);
  }
  ring_buffer__free(rb);
  recorder__destroy(skel);
  fclose(out);
  return 0;
}
