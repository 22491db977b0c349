/*
 * The few kernel types the recorder reads, declared by hand for CO-RE (compile once, relocate at
 * load time against the running kernel's BTF): only the fields used, each struct marked
 * preserve_access_index so libbpf rewrites every offset for the kernel it loads on (Debian 12's 6.1,
 * Debian 13's 6.12, and newer). No vmlinux.h: the build needs nothing of the build machine's kernel.
 */
#ifndef HUSH_RECORDER_KERNEL_H
#define HUSH_RECORDER_KERNEL_H

typedef unsigned char __u8;
typedef unsigned short __u16;
typedef unsigned int __u32;
typedef unsigned long long __u64;
typedef signed char __s8;
typedef short __s16;
typedef int __s32;
typedef long long __s64;
typedef __u8 u8;
typedef __u16 u16;
typedef __u32 u32;
typedef __u64 u64;
typedef __s32 s32;
typedef __s64 s64;
typedef __u16 __be16;
typedef __u32 __be32;
typedef __u32 __wsum;
typedef _Bool bool;
#define true 1
#define false 0

enum bpf_map_type {
  BPF_MAP_TYPE_HASH = 1,
  BPF_MAP_TYPE_ARRAY = 2,
  BPF_MAP_TYPE_PERCPU_HASH = 5,
  BPF_MAP_TYPE_PERCPU_ARRAY = 6,
  BPF_MAP_TYPE_LRU_HASH = 9,
  BPF_MAP_TYPE_RINGBUF = 27,
  BPF_MAP_TYPE_TASK_STORAGE = 29,
};
enum { BPF_ANY = 0, BPF_NOEXIST = 1 };
enum { BPF_F_NO_PREALLOC = 1 };
enum { BPF_LOCAL_STORAGE_GET_F_CREATE = 1 };

#pragma clang attribute push(__attribute__((preserve_access_index)), apply_to = record)

struct pt_regs {
  unsigned long r15, r14, r13, r12, bp, bx, r11, r10, r9, r8, ax, cx, dx, si, di, orig_ax, ip, cs,
      flags, sp, ss;
};

struct qstr {
  union {
    struct {
      u32 hash;
      u32 len;
    };
    u64 hash_len;
  };
  const unsigned char *name;
};

struct inode {
  unsigned short i_mode;
  unsigned long i_ino;
};

struct dentry {
  struct dentry *d_parent;
  struct qstr d_name;
  struct inode *d_inode;
};

struct vfsmount {
  struct dentry *mnt_root;
};

struct mount {
  struct mount *mnt_parent;
  struct dentry *mnt_mountpoint;
  struct vfsmount mnt;
};

struct path {
  struct vfsmount *mnt;
  struct dentry *dentry;
};

struct file {
  struct path f_path;
  struct inode *f_inode;
  void *private_data;
};

struct fdtable {
  unsigned int max_fds;
  struct file **fd;
};

struct files_struct {
  struct fdtable *fdt;
};

struct fs_struct {
  struct path root;
  struct path pwd;
};

struct task_struct {
  int pid;
  int tgid;
  struct fs_struct *fs;
  struct files_struct *files;
};

struct sock_common {
  unsigned short skc_family;
};

struct sock {
  struct sock_common __sk_common;
  u16 sk_type;
  u16 sk_protocol;
};

struct socket {
  struct sock *sk;
};

struct linux_binprm {
  struct file *file;
};

struct kernfs_node {
  u64 id;
};

struct cgroup {
  struct kernfs_node *kn;
};

#pragma clang attribute pop

#endif
