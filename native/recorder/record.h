/*
 * The binary record the kernel side writes for one decoded system call (one per distinct
 * (process, call, arguments, outcome): duplicates are dropped in the kernel). core/ebpf/record.ts
 * reads exactly this layout (little endian, x86_64); RECORD_VERSION changes with it.
 *
 * Every byte string carries its length as the kernel measured it: nothing is delimited, so no
 * byte a traced process controls (a newline or a quote in a file name) can end a field early.
 */
#ifndef HUSH_RECORDER_RECORD_H
#define HUSH_RECORDER_RECORD_H

#define RECORD_VERSION 1
#define STR_MAX 512   /* a path argument: longer ones are marked truncated (never used as a path) */
#define DEC_MAX 1024  /* an fd's path, as components leaf first: [len u8][bytes]… */
#define SA_MAX 128    /* a socket address (sockaddr_storage) */
#define EXTRA_MAX 64  /* a small struct argument: open_how, clone_args, the first sendmmsg header */
#define NSTR 2
#define NDEC 3        /* decorations: fd argument A, fd argument B, the returned fd */
#define DEC_RET 2

/* decoration kinds */
#define DEC_NONE 0
#define DEC_PATH 1     /* a file: components leaf first, up to the process's root */
#define DEC_SOCKET 2   /* a socket: family/type/protocol and inode */
#define DEC_PSEUDO 3   /* an object with no path (pipe, anon inode, memfd…): inode only */
#define DEC_CUT 4      /* a path deeper or longer than DEC_MAX: unknown, never guessed */
#define DEC_BADFD 5    /* not an open fd at the time of the call */

/* string flags */
#define STR_NULL 1     /* the pointer was NULL */
#define STR_CUT 2      /* longer than STR_MAX: truncated */
#define STR_FAULT 4    /* unreadable memory */

struct decoration {
  u8 kind;
  u8 pad;
  u16 len;           /* bytes used in dec[] */
  u16 family, type, protocol;
  u16 pad2;
  u64 ino;
};

struct record {
  u32 version;
  u32 nr;
  u32 tgid;
  u32 tid;
  s64 ret;
  u64 args[6];
  u16 str_len[NSTR]; /* bytes, without the NUL */
  u8 str_flags[NSTR];
  u8 sa_len;         /* bytes of sa[] read (0: none) */
  u8 extra_len;
  struct decoration dec[NDEC];
  u8 str[NSTR][STR_MAX];
  u8 sa[SA_MAX];
  u8 extra[EXTRA_MAX];
  u8 decbuf[NDEC][DEC_MAX];
};

/* the per-syscall decoding plan (core/ebpf/signatures.ts writes it, one line per number) */
#define ARG_NONE 0xff
#define SIG_DECODE 1       /* record this call (otherwise it is only counted) */
#define SIG_RET_FD 2       /* decorate the returned fd */
#define SIG_NO_DEDUP 4     /* every call is a record (process creation, exec) */
#define SIG_RET_IN_KEY 8   /* the returned value is part of the identity (clone: the child pid) */
#define SIG_SA_OUT 16      /* the socket address is written by the call (accept): read at exit */
#define SIG_STR0_OUT 32    /* string 0 is written by the call (getcwd): read at exit */
#define SIG_RET_NOT_IN_KEY 64 /* the returned fd is decorated but not part of the identity (accept) */
#define SIG_NEED_SA 128    /* nothing to record without a socket address (sendto) */

/* special argument readers */
#define SP_NONE 0
#define SP_OPEN_HOW 1      /* openat2: struct open_how at arg 2 */
#define SP_CLONE_ARGS 2    /* clone3: struct clone_args at arg 0 */
#define SP_MSGHDR 3        /* sendmsg: msg_name of the msghdr at arg 1 */
#define SP_MMSGHDR 4       /* sendmmsg: msg_name of the first mmsghdr at arg 1 */
#define SP_V6ONLY 5        /* setsockopt: recorded only for IPPROTO_IPV6/IPV6_V6ONLY, value read */
#define SP_SOCKETPAIR 6    /* socketpair: the two fds written at arg 3 */
#define SP_SCHED_ATTR 8    /* sched_setattr: size and policy of struct sched_attr at arg 1 */
#define SP_MOUNT_ATTR 9    /* mount_setattr: struct mount_attr at arg 3 */
#define SP_FCNTL_DUP 10    /* fcntl: recorded only for F_DUPFD/F_DUPFD_CLOEXEC */

struct sig {
  u8 flags;
  u8 special;
  u8 str[NSTR];      /* argument index of each path string */
  u8 fd[2];          /* argument index of each fd to decorate (AT_FDCWD: the cwd) */
  u8 sa;             /* argument index of a socket address */
  u8 salen;          /* argument index of its length (by value; SIG_SA_OUT: a pointer to it) */
  u8 keymask;        /* arguments (bit i) that are part of the call's identity (flags, modes) */
  u8 pad[7];
};

#define NR_MAX 512

/* the counters' key for failed calls */
#define FAIL_KEY(nr, err) (((u32)(nr) << 12) | ((u32)(err) & 0xfff))

#endif
