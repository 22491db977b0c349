// SPDX-License-Identifier: GPL-2.0
/*
 * hush's in-kernel recorder: attached from outside to one unit's cgroup (and the cgroups created
 * under its path later: a restart makes a new cgroup with a new id), no ptrace, no wrapper.
 *
 * - Every system call of the cgroup is counted by number at entry and, when it fails, by
 *   (number, errno) at exit: SystemCallFilter= needs every name, conservative mode the failures.
 * - Calls whose arguments carry a decision (the summary's handled set, as the plan in `sigs` says)
 *   are decoded as strace -y would print them: path strings read at entry, every fd argument and
 *   the returned fd decorated with the path the kernel resolved for that file (walked from its
 *   dentry and mount up to the process's root, as d_path does), sockets with their family, type
 *   and protocol. One record per distinct (process, call, arguments, outcome): the identity is
 *   hashed and checked in an LRU map, so a call repeated per request costs a lookup, not a record.
 *
 * Only tracepoints are used (tp_btf: BTF raw tracepoints), so the same object loads where BPF LSM
 * and fentry are refused (the bench machine) and on Debian's 6.1 and 6.12.
 */
#include "kernel.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "record.h"

char LICENSE[] SEC("license") = "GPL";

#define AT_FDCWD -100
#define S_IFMT 00170000
#define S_IFSOCK 0140000
#define CGROUP_PATH_MAX 256
#define NEAR 64 /* per-thread identity cache slots (a power of two) */
#define FAST_CGROUPS 8 /* cgroup ids checked without a map lookup */

/* Set by the loader before load. */
const volatile char unit_cgroup[CGROUP_PATH_MAX] = {};
const volatile u32 unit_cgroup_len = 0;
const volatile u64 seed = 0;

/* Records the ring buffer had no room for, and decoded calls without per-task storage. */
u64 lost = 0;

/*
 * The unit's cgroup ids, compared without a map lookup: every system call on the host passes
 * in_unit(), so its cost is paid by every process, not only the unit's. Slot 0 is the loader's
 * (the unit's cgroup when the recording starts); cgroup_mkdir fills the others (a restart's new
 * cgroup, a delegated sub-cgroup) and, once they are full, the `cgroups` map, flagged by
 * cgroups_spilled so that the map is only looked up when it holds anything.
 */
u64 unit_cgids[FAST_CGROUPS] = {};
u32 cgids_used = 0;
u32 cgroups_spilled = 0;

struct pending {
  struct record rec;
  u64 k1;
  struct path fdpath[2];
  struct file *fdfile[2];
  u8 fdstate[2]; /* 0 none, 1 file, 2 cwd, 3 bad fd */
  u8 active;
  u8 walked;
  u8 prestart; /* an exec by a process that had not started: counted at exit if it started it */
  u8 slack[264]; /* keeps masked copies inside the value (the verifier's bounds) */
  /*
   * This thread's last identities, direct-mapped by their low bits (stored | 1, so an empty slot
   * never matches): entry identities whose decorations were walked, exit identities recorded. A
   * hit is an identity the shared LRU maps below have already seen, so it is skipped without
   * their lookup; a miss falls through to them. A request loop repeats the same few calls, so
   * nearly every repeat stops here.
   */
  u64 near_in[NEAR];
  u64 near_out[NEAR];
};

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, NR_MAX);
  __type(key, u32);
  __type(value, struct sig);
} sigs SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 1024);
  __type(key, u64);
  __type(value, u8);
} cgroups SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, NR_MAX);
  __type(key, u32);
  __type(value, u64);
} counts SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_HASH);
  __uint(max_entries, 8192);
  __type(key, u32);
  __type(value, u64);
} fails SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_TASK_STORAGE);
  __uint(map_flags, BPF_F_NO_PREALLOC);
  __type(key, int);
  __type(value, struct pending);
} pending SEC(".maps");

/*
 * Processes of the unit that run the unit's own programs. systemd forks into the unit's cgroup and
 * sets the process up there (credentials, namespaces, mounts; Debian 13 through systemd-executor,
 * which it executes through an fd: the exec names /proc/self/fd/N) before it executes the command:
 * those calls are the manager's, not the service's, and strace in the wrapper never sees them
 * either. A process starts counting once it has executed anything whose file is not named
 * systemd-executor (the kernel's name for the executed file, at sched_process_exec, whatever path
 * the exec named); its children inherit that. A started process never stops counting, so nothing
 * the service executes later hides it.
 *
 * One byte per pid (the kernel's global tgid, below PID_MAX_LIMIT), eight to an array element: an
 * array lookup is inlined by the verifier, where a hash lookup cost every system call of the unit
 * two helper calls (entry and exit). 4 MiB. Each byte is written alone (a byte store), so two
 * processes sharing an element never overwrite each other.
 */
#define PID_MAX_LIMIT (4 * 1024 * 1024)
struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, PID_MAX_LIMIT / 8);
  __type(key, u32);
  __type(value, u64);
} started SEC(".maps");

/* Identities of calls whose fd decorations were walked (at entry) and of records emitted. */
struct {
  __uint(type, BPF_MAP_TYPE_LRU_HASH);
  __uint(max_entries, 65536);
  __type(key, u64);
  __type(value, u8);
} seen_in SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_LRU_HASH);
  __uint(max_entries, 131072);
  __type(key, u64);
  __type(value, u8);
} seen SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_RINGBUF);
  __uint(max_entries, 8 << 20);
} rb SEC(".maps");

static __always_inline bool in_unit(void) {
  u64 cg = bpf_get_current_cgroup_id();
#pragma unroll
  for (int i = 0; i < FAST_CGROUPS; i++)
    if (unit_cgids[i] == cg) return true;
  if (!cgroups_spilled) return false;
  return bpf_map_lookup_elem(&cgroups, &cg) != 0;
}

static __always_inline volatile u8 *started_byte(u32 tgid) {
  u32 k = tgid >> 3;
  u64 *v = bpf_map_lookup_elem(&started, &k);
  return v ? (volatile u8 *)v + (tgid & 7) : 0;
}

static __always_inline bool is_started(u32 tgid) {
  volatile u8 *b = started_byte(tgid);
  return b && *b;
}

static __always_inline void set_started(u32 tgid, u8 on) {
  volatile u8 *b = started_byte(tgid);
  if (b) *b = on;
}

static __always_inline u64 mix(u64 h, u64 v) {
  h ^= v;
  h *= 0x9e3779b97f4a7c15ULL;
  h ^= h >> 31;
  return h;
}

/*
 * The identity of the file an fd names: its dentry and mount, and with them the inode number and
 * the hash and length of the dentry's own name. A dentry freed and its memory reused for another
 * file (a temporary file deleted, another created) or a file renamed in place then differs, so a
 * call on it is recorded again instead of being taken for the earlier one. (A rename of a parent
 * directory leaves all of these unchanged: the earlier record's path stands for it.)
 */
static __always_inline u64 mix_object(u64 h, struct path *path) {
  struct dentry *d = path->dentry;
  h = mix(h, (u64)d);
  h = mix(h, (u64)path->mnt);
  if (!d) return h;
  h = mix(h, BPF_CORE_READ(d, d_name.hash_len));
  struct inode *ino = BPF_CORE_READ(d, d_inode);
  return mix(h, ino ? BPF_CORE_READ(ino, i_ino) : 0);
}

/* ------------------------------------------------------------------ hashing byte strings */


/*
 * `buf` is a field of the per-task `pending` value (map memory): read in place, a word at a time,
 * bytes past `len` masked off. (Each word is a direct load: the first version read every word with
 * a helper call from a bpf_loop callback, the largest part of a decoded call's cost.) `max` is a
 * power of two the field's size; the mask keeps every load inside it for the verifier.
 */
static __always_inline u64 hash_bytes(u64 h, const u8 *buf, u32 len, u32 max) {
  if (len > max) len = max;
  h = mix(h, len);
  for (u32 at = 0; at < max; at += 8) {
    if (at >= len) break;
    u64 w = *(const u64 *)(buf + (at & (max - 8)));
    u32 left = len - at;
    if (left < 8) w &= (1ULL << (left * 8)) - 1;
    h = mix(h, w);
  }
  return h;
}

/* ------------------------------------------------------------------ fds and their paths */

static __always_inline struct file *fd_file(struct task_struct *task, s64 fd) {
  if (fd < 0) return 0;
  struct fdtable *fdt = task->files->fdt;
  if (!fdt) return 0;
  unsigned int max = fdt->max_fds;
  if ((u64)fd >= max) return 0;
  struct file **arr = BPF_CORE_READ(fdt, fd);
  struct file *f = 0;
  bpf_probe_read_kernel(&f, sizeof(f), &arr[fd]);
  return f;
}

struct walk_ctx {
  u8 *buf;
  struct dentry *d;
  struct vfsmount *vmnt;
  struct mount *mnt;
  struct dentry *root_d;
  struct vfsmount *root_m;
  u32 off;
  u8 state; /* 0 walking, DEC_PATH done, DEC_PSEUDO, DEC_CUT */
};

static long walk_step(u32 i, struct walk_ctx *c) {
  /* locals: BPF_CORE_READ relocates every access in its first argument, walk_ctx is ours */
  struct dentry *d = c->d;
  struct vfsmount *vmnt = c->vmnt;
  struct mount *mnt = c->mnt;
  if (d == c->root_d && vmnt == c->root_m) {
    c->state = DEC_PATH;
    return 1;
  }
  struct dentry *mroot = BPF_CORE_READ(vmnt, mnt_root);
  if (d == mroot) {
    struct mount *up = BPF_CORE_READ(mnt, mnt_parent);
    if (up == mnt || !up) {
      /* a mount root with no parent that is not the process's root: outside its root */
      c->state = DEC_CUT;
      return 1;
    }
    c->d = BPF_CORE_READ(mnt, mnt_mountpoint);
    c->mnt = up;
    c->vmnt = (struct vfsmount *)((u8 *)up + bpf_core_field_offset(struct mount, mnt));
    return 0;
  }
  struct dentry *parent = BPF_CORE_READ(d, d_parent);
  if (parent == d || !parent) {
    /* a dentry of its own (pipe, socket, anon inode, memfd): no path */
    c->state = DEC_PSEUDO;
    return 1;
  }
  u32 len = BPF_CORE_READ(d, d_name.len);
  const u8 *name = BPF_CORE_READ(d, d_name.name);
  if (len == 0 || len > 255 || c->off + 1 + len > DEC_MAX) {
    c->state = DEC_CUT;
    return 1;
  }
  u32 off = c->off & (DEC_MAX - 1);
  c->buf[off] = (u8)len;
  bpf_probe_read_kernel(c->buf + ((off + 1) & (DEC_MAX - 1)), len & 255, name);
  c->off += 1 + len;
  c->d = parent;
  return 0;
}

/* Writes the decoration of `path` (or of the socket behind `file`) into rec.dec[slot]. */
static __always_inline void decorate(struct pending *p, int slot, struct task_struct *task,
                                     struct path *path, struct file *file) {
  if (slot < 0 || slot >= NDEC) return;
  struct decoration *dec = &p->rec.dec[slot];
  dec->len = 0;
  struct dentry *d = path->dentry;
  struct inode *ino = BPF_CORE_READ(d, d_inode);
  dec->ino = ino ? BPF_CORE_READ(ino, i_ino) : 0;
  unsigned short mode = ino ? BPF_CORE_READ(ino, i_mode) : 0;
  if (file && (mode & S_IFMT) == S_IFSOCK) {
    struct socket *sock = BPF_CORE_READ(file, private_data);
    struct sock *sk = sock ? BPF_CORE_READ(sock, sk) : 0;
    dec->kind = DEC_SOCKET;
    if (sk) {
      dec->family = BPF_CORE_READ(sk, __sk_common.skc_family);
      dec->type = BPF_CORE_READ(sk, sk_type);
      dec->protocol = BPF_CORE_READ(sk, sk_protocol);
    }
    return;
  }
  struct walk_ctx c = {
      .buf = p->rec.decbuf[slot],
      .d = d,
      .vmnt = path->mnt,
      .root_d = BPF_CORE_READ(task, fs, root.dentry),
      .root_m = BPF_CORE_READ(task, fs, root.mnt),
  };
  c.mnt = (struct mount *)((u8 *)c.vmnt - bpf_core_field_offset(struct mount, mnt));
  bpf_loop(64, walk_step, &c, 0);
  dec->kind = c.state ? c.state : DEC_CUT;
  dec->len = c.off;
}

/* ------------------------------------------------------------------ the cgroup to follow */

SEC("tp_btf/cgroup_mkdir")
int BPF_PROG(on_cgroup_mkdir, struct cgroup *cgrp, const char *path) {
  char buf[CGROUP_PATH_MAX];
  long n = bpf_probe_read_kernel_str(buf, sizeof(buf), path);
  u32 len = unit_cgroup_len;
  if (n <= 0 || len == 0 || len >= CGROUP_PATH_MAX - 1 || (u32)n < len + 1) return 0;
  for (u32 i = 0; i < CGROUP_PATH_MAX - 1; i++) {
    if (i >= len) break;
    if (buf[i] != unit_cgroup[i]) return 0;
  }
  char next = buf[len & (CGROUP_PATH_MAX - 1)];
  if (next != 0 && next != '/') return 0;
  u64 id = BPF_CORE_READ(cgrp, kn, id);
  /* cgroup_mkdir fires under the kernel's cgroup_mutex: no two run at once, no atomic needed */
  u32 slot = 1 + cgids_used;
  if (slot < FAST_CGROUPS) {
    unit_cgids[slot] = id;
    cgids_used = slot;
    return 0;
  }
  u8 one = 1;
  bpf_map_update_elem(&cgroups, &id, &one, BPF_ANY);
  cgroups_spilled = 1;
  return 0;
}

/* ------------------------------------------------------------------ system calls */

static __always_inline void read_str(struct pending *p, int j, u64 ptr) {
  if (j < 0 || j >= NSTR) return;
  p->rec.str_len[j] = 0;
  p->rec.str_flags[j] = 0;
  if (!ptr) {
    p->rec.str_flags[j] = STR_NULL;
    return;
  }
  long n = bpf_probe_read_user_str(p->rec.str[j], STR_MAX, (const void *)ptr);
  if (n <= 0) {
    p->rec.str_flags[j] = STR_FAULT;
    return;
  }
  p->rec.str_len[j] = n - 1;
  if (n == STR_MAX) p->rec.str_flags[j] = STR_CUT;
}

static __always_inline void read_sa(struct pending *p, u64 ptr, u64 len) {
  p->rec.sa_len = 0;
  if (!ptr || len == 0) return;
  if (len > SA_MAX) len = SA_MAX;
  if (bpf_probe_read_user(p->rec.sa, len & (SA_MAX - 1 + SA_MAX) & 0xff, (const void *)ptr) == 0)
    p->rec.sa_len = len;
}

struct user_msghdr {
  u64 msg_name;
  int msg_namelen;
};

#define NR_EXECVE 59
#define NR_EXECVEAT 322
#define EXECUTOR_LEN 16

SEC("tp_btf/sched_process_exec")
int BPF_PROG(on_exec, struct task_struct *task, int old_pid, struct linux_binprm *bprm) {
  if (!in_unit()) return 0;
  u32 tgid = BPF_CORE_READ(task, tgid);
  if (is_started(tgid)) return 0;
  const char executor[EXECUTOR_LEN + 1] = "systemd-executor";
  struct dentry *d = BPF_CORE_READ(bprm, file, f_path.dentry);
  u32 len = BPF_CORE_READ(d, d_name.len);
  if (len == EXECUTOR_LEN) {
    char name[EXECUTOR_LEN] = {};
    bpf_probe_read_kernel(name, EXECUTOR_LEN, BPF_CORE_READ(d, d_name.name));
    bool same = true;
    for (int i = 0; i < EXECUTOR_LEN; i++)
      if (name[i] != executor[i]) same = false;
    if (same) return 0;
  }
  set_started(tgid, 1);
  return 0;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(on_fork, struct task_struct *parent, struct task_struct *child) {
  u32 ptgid = BPF_CORE_READ(parent, tgid);
  u32 cpid = BPF_CORE_READ(child, pid);
  u32 ctgid = BPF_CORE_READ(child, tgid);
  if (cpid != ctgid || !is_started(ptgid)) return 0;
  set_started(cpid, 1);
  return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(on_exit, struct task_struct *task) {
  u32 pid = BPF_CORE_READ(task, pid);
  u32 tgid = BPF_CORE_READ(task, tgid);
  if (pid == tgid) set_started(tgid, 0);
  return 0;
}

SEC("tp_btf/sys_enter")
int BPF_PROG(on_sys_enter, struct pt_regs *regs, long id) {
  if (!in_unit()) return 0;
  u32 nr = (u32)id;
  if (nr >= NR_MAX) return 0;
  u32 tgid = bpf_get_current_pid_tgid() >> 32;
  /* an exec by a process not started yet may start it (on_exec): decoded now, kept at exit if so */
  bool prestart = !is_started(tgid);
  if (prestart && nr != NR_EXECVE && nr != NR_EXECVEAT) return 0;
  if (!prestart) {
    u64 *cnt = bpf_map_lookup_elem(&counts, &nr);
    if (cnt) *cnt += 1;
  }
  struct sig *s = bpf_map_lookup_elem(&sigs, &nr);
  if (!s || !(s->flags & SIG_DECODE)) return 0;
  /* regs is a BTF pointer (tp_btf): direct loads, no helper call per register */
  u64 a[6];
  a[0] = regs->di;
  a[1] = regs->si;
  a[2] = regs->dx;
  a[3] = regs->r10;
  a[4] = regs->r8;
  a[5] = regs->r9;
  /* setsockopt: only IPV6_V6ONLY carries a decision */
  if (s->special == SP_V6ONLY && (a[1] != 41 || a[2] != 26)) return 0;
  /* fcntl: only the dup commands change the fd table the summary keeps */
  if (s->special == SP_FCNTL_DUP && a[1] != 0 && a[1] != 1030) return 0;
  struct task_struct *task = bpf_get_current_task_btf();
  struct pending *p = bpf_task_storage_get(&pending, task, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
  if (!p) {
    __sync_fetch_and_add(&lost, 1);
    return 0;
  }
  u64 tgid_pid = bpf_get_current_pid_tgid();
  p->active = 0;
  p->walked = 0;
  p->prestart = prestart;
  p->rec.version = RECORD_VERSION;
  p->rec.nr = nr;
  p->rec.tgid = tgid_pid >> 32;
  p->rec.tid = (u32)tgid_pid;
  p->rec.sa_len = 0;
  p->rec.extra_len = 0;
  u64 h = mix(seed, nr);
  h = mix(h, p->rec.tgid);
  for (int i = 0; i < 6; i++) {
    p->rec.args[i] = a[i];
    if (s->keymask & (1 << i)) h = mix(h, a[i]);
  }
  for (int j = 0; j < NSTR; j++) {
    u8 at = s->str[j];
    p->rec.str_len[j] = 0;
    p->rec.str_flags[j] = 0;
    if (at >= 6 || (j == 0 && (s->flags & SIG_STR0_OUT))) continue;
    read_str(p, j, a[at]);
    h = mix(h, p->rec.str_flags[j]);
    h = hash_bytes(h, p->rec.str[j], p->rec.str_len[j], STR_MAX);
  }
  if (s->sa < 6 && s->salen < 6 && !(s->flags & SIG_SA_OUT)) {
    if ((s->flags & SIG_NEED_SA) && !a[s->sa]) return 0;
    read_sa(p, a[s->sa], a[s->salen]);
  }
  if (s->special == SP_MSGHDR || s->special == SP_MMSGHDR) {
    struct user_msghdr m = {};
    if (bpf_probe_read_user(&m, sizeof(m), (const void *)a[1]) == 0 && m.msg_namelen > 0)
      read_sa(p, m.msg_name, (u64)m.msg_namelen);
    if (!p->rec.sa_len) return 0; /* no address: the handler records nothing */
  } else if (s->special == SP_OPEN_HOW && a[2]) {
    if (bpf_probe_read_user(p->rec.extra, 24, (const void *)a[2]) == 0) p->rec.extra_len = 24;
  } else if (s->special == SP_CLONE_ARGS && a[0]) {
    if (bpf_probe_read_user(p->rec.extra, 64, (const void *)a[0]) == 0) p->rec.extra_len = 64;
  } else if (s->special == SP_SCHED_ATTR && a[1]) {
    if (bpf_probe_read_user(p->rec.extra, 8, (const void *)a[1]) == 0) p->rec.extra_len = 8;
  } else if (s->special == SP_MOUNT_ATTR && a[3]) {
    if (bpf_probe_read_user(p->rec.extra, 32, (const void *)a[3]) == 0) p->rec.extra_len = 32;
  } else if (s->special == SP_V6ONLY && a[3]) {
    if (bpf_probe_read_user(p->rec.extra, 4, (const void *)a[3]) == 0) p->rec.extra_len = 4;
  }
  if (p->rec.sa_len) h = hash_bytes(h, p->rec.sa, p->rec.sa_len, SA_MAX);
  if (p->rec.extra_len) h = hash_bytes(h, p->rec.extra, p->rec.extra_len, EXTRA_MAX);
  for (int j = 0; j < 2; j++) {
    u8 at = s->fd[j];
    p->fdstate[j] = 0;
    p->fdfile[j] = 0;
    p->rec.dec[j].kind = DEC_NONE;
    if (at >= 6) continue;
    s64 fd = (s32)a[at];
    if (fd == AT_FDCWD) {
      /*
       * The cwd's dentry is reached from the task (a BTF pointer): its identity is read with
       * direct loads here (mix_object reads a file's with helper calls: the fd table gives plain
       * addresses), the same fields in the same order.
       */
      struct fs_struct *fs = task->fs;
      struct dentry *cwd = fs->pwd.dentry;
      p->fdpath[j].mnt = fs->pwd.mnt;
      p->fdpath[j].dentry = cwd;
      p->fdstate[j] = 2;
      h = mix(h, 2);
      /* the addresses as numbers: read back from the map value (the verifier forbids pointer math) */
      h = mix(h, *(volatile u64 *)&p->fdpath[j].dentry);
      h = mix(h, *(volatile u64 *)&p->fdpath[j].mnt);
      if (cwd) {
        h = mix(h, cwd->d_name.hash_len);
        struct inode *ino = cwd->d_inode;
        h = mix(h, ino ? ino->i_ino : 0);
      }
      continue;
    } else {
      struct file *f = fd_file(task, fd);
      if (!f) {
        p->fdstate[j] = 3;
        p->rec.dec[j].kind = DEC_BADFD;
      } else {
        p->fdfile[j] = f;
        p->fdpath[j].mnt = BPF_CORE_READ(f, f_path.mnt);
        p->fdpath[j].dentry = BPF_CORE_READ(f, f_path.dentry);
        p->fdstate[j] = 1;
      }
    }
    h = mix(h, p->fdstate[j]);
    h = mix_object(h, &p->fdpath[j]);
  }
  p->k1 = h;
  /* Decorations are read at entry, as strace reads them, the first time this identity is seen. */
  u64 *near = &p->near_in[h & (NEAR - 1)];
  if (*near != (h | 1)) {
    if (!bpf_map_lookup_elem(&seen_in, &h)) {
      u8 one = 1;
      bpf_map_update_elem(&seen_in, &h, &one, BPF_ANY);
      if (p->fdstate[0] == 1 || p->fdstate[0] == 2) decorate(p, 0, task, &p->fdpath[0], p->fdfile[0]);
      if (p->fdstate[1] == 1 || p->fdstate[1] == 2) decorate(p, 1, task, &p->fdpath[1], p->fdfile[1]);
      p->walked = 1;
    }
    *near = h | 1;
  }
  p->active = 1;
  return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(on_sys_exit, struct pt_regs *regs, long ret) {
  if (!in_unit()) return 0;
  u32 nr = (u32)regs->orig_ax;
  if (nr >= NR_MAX) return 0;
  if (!is_started(bpf_get_current_pid_tgid() >> 32)) return 0;
  struct task_struct *task = bpf_get_current_task_btf();
  if (nr == NR_EXECVE || nr == NR_EXECVEAT) {
    /* the exec that started this process: counted here (its entry was not) */
    struct pending *q = bpf_task_storage_get(&pending, task, 0, 0);
    if (q && q->active && q->prestart && q->rec.nr == nr) {
      u64 *cnt = bpf_map_lookup_elem(&counts, &nr);
      if (cnt) *cnt += 1;
    }
  }
  if (ret < 0 && ret > -4096) {
    u32 key = FAIL_KEY(nr, -ret);
    u64 *f = bpf_map_lookup_elem(&fails, &key);
    if (f)
      *f += 1;
    else {
      u64 one = 1;
      bpf_map_update_elem(&fails, &key, &one, BPF_ANY);
    }
  }
  struct sig *s = bpf_map_lookup_elem(&sigs, &nr);
  if (!s || !(s->flags & SIG_DECODE)) return 0;
  struct pending *p = bpf_task_storage_get(&pending, task, 0, 0);
  if (!p || !p->active || p->rec.nr != nr) return 0;
  p->active = 0;
  p->rec.ret = ret;
  u64 h = mix(p->k1, ret < 0 ? (u64)ret : ((s->flags & SIG_RET_IN_KEY) ? (u64)ret : 0));
  if ((s->flags & SIG_STR0_OUT) && ret > 0 && s->str[0] < 6) {
    read_str(p, 0, p->rec.args[s->str[0]]);
    h = hash_bytes(h, p->rec.str[0], p->rec.str_len[0], STR_MAX);
  }
  /*
   * A string in a page not yet faulted in cannot be read at entry (no page faults here); the call
   * itself has read it by now, so it is read again, as the kernel saw it.
   */
  for (int j = 0; j < NSTR; j++) {
    u8 at = s->str[j];
    if (at >= 6 || !(p->rec.str_flags[j] & STR_FAULT)) continue;
    read_str(p, j, p->rec.args[at]);
    h = mix(h, p->rec.str_flags[j]);
    h = hash_bytes(h, p->rec.str[j], p->rec.str_len[j], STR_MAX);
  }
  if ((s->flags & SIG_SA_OUT) && ret >= 0 && s->sa < 6 && s->salen < 6 && p->rec.args[s->salen]) {
    int len = 0;
    if (bpf_probe_read_user(&len, sizeof(len), (const void *)p->rec.args[s->salen]) == 0 && len > 0)
      read_sa(p, p->rec.args[s->sa], (u64)len);
    /* the peer's port changes with every connection: the address is the identity */
    if (p->rec.sa_len >= 8) h = hash_bytes(h, p->rec.sa + 4, p->rec.sa_len - 4, SA_MAX);
  }
  if (s->special == SP_SOCKETPAIR && ret == 0 && p->rec.args[3]) {
    if (bpf_probe_read_user(p->rec.extra, 8, (const void *)p->rec.args[3]) == 0) p->rec.extra_len = 8;
  }
  struct file *rf = 0;
  struct path rpath = {};
  if ((s->flags & SIG_RET_FD) && ret >= 0) {
    rf = fd_file(task, ret);
    if (rf) {
      rpath.mnt = BPF_CORE_READ(rf, f_path.mnt);
      rpath.dentry = BPF_CORE_READ(rf, f_path.dentry);
      if (!(s->flags & SIG_RET_NOT_IN_KEY)) h = mix_object(h, &rpath);
    }
  }
  if (!(s->flags & SIG_NO_DEDUP)) {
    u64 *near = &p->near_out[h & (NEAR - 1)];
    if (*near == (h | 1)) return 0;
    *near = h | 1;
    if (bpf_map_lookup_elem(&seen, &h)) return 0;
    u8 one = 1;
    bpf_map_update_elem(&seen, &h, &one, BPF_ANY);
  }
  if (!p->walked) {
    if (p->fdstate[0] == 1 || p->fdstate[0] == 2) decorate(p, 0, task, &p->fdpath[0], p->fdfile[0]);
    if (p->fdstate[1] == 1 || p->fdstate[1] == 2) decorate(p, 1, task, &p->fdpath[1], p->fdfile[1]);
  }
  p->rec.dec[DEC_RET].kind = DEC_NONE;
  if (rf) decorate(p, DEC_RET, task, &rpath, rf);
  else if ((s->flags & SIG_RET_FD) && ret >= 0) p->rec.dec[DEC_RET].kind = DEC_BADFD;
  if (bpf_ringbuf_output(&rb, &p->rec, sizeof(p->rec), 0) != 0) __sync_fetch_and_add(&lost, 1);
  return 0;
}
