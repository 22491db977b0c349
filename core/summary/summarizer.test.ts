import { Profile } from '../profile/schema';
import type { Syscall } from '../strace/types';
import { createSummarizer, summarizeStream } from './summarizer';
import { actionList, describe as describeAction, summarizeLines } from './testHelpers';
import { callCounts } from './success';
import { HANDLED_SYSCALLS } from './handlers';

describe('success rule', () => {
  const ret = (raw: string, errno?: string) => ({
    value: raw === '?' ? null : Number(raw),
    raw,
    ...(errno ? { errno } : {}),
  });

  it('counts returns, `?` and outcome errnos; not refusals', () => {
    expect(callCounts(ret('0'))).toBe(true);
    expect(callCounts(ret('?'))).toBe(true);
    expect(callCounts(ret('?', 'ERESTARTSYS'))).toBe(true);
    for (const e of ['EAGAIN', 'EINPROGRESS', 'EEXIST', 'EINTR', 'ETIMEDOUT'])
      expect(callCounts(ret('-1', e))).toBe(true);
    for (const e of ['ENOENT', 'EACCES', 'EPERM', 'ENOSYS', 'EBADF'])
      expect(callCounts(ret('-1', e))).toBe(false);
  });

  it('counts ENOENT/EEXIST of entry calls by name; their paths only as far as a read-only mount would answer differently', () => {
    const p = summarizeLines([
      '1 newfstatat(AT_FDCWD, "/run/other", {st_mode=S_IFREG|0644, st_size=1, ...}, 0) = 0',
      // The directory exists (proven above): on a read-only /run unlink would get EROFS.
      '1 unlink("/run/app.pid") = -1 ENOENT (No such file or directory)',
      // Nothing proves /srv/gone exists: the ENOENT may be the directory's, the same under any mount.
      '1 unlink("/srv/gone/app.pid") = -1 ENOENT (No such file or directory)',
      // ENOENT of a create is always a missing directory; EEXIST an entry that is there: a
      // read-only mount answers the same, so no write is needed (EEXIST still looked the name up).
      '1 openat(AT_FDCWD, "/var/lib/app/new", O_WRONLY|O_CREAT, 0644) = -1 ENOENT (No such file or directory)',
      '1 mkdir("/var/lib/app/d", 0755) = -1 ENOENT (No such file or directory)',
      '1 mkdir("/var/lib/exists", 04755) = -1 EEXIST (File exists)',
      '1 openat(AT_FDCWD, "/etc/app.conf", O_RDONLY) = -1 ENOENT (No such file or directory)',
      '1 chmod("/srv/missing", 0644) = -1 ENOENT (No such file or directory)',
      '1 mkdir("/run/app", 0755) = -1 EROFS (Read-only file system)',
    ]);
    expect(actionList(p)).toEqual(['read /run/other', 'remove /run/app.pid', 'read /var/lib/exists']);
    expect(p.syscalls).toEqual({ mkdir: 2, newfstatat: 1, openat: 1, unlink: 2 });
    expect(p.failedSyscalls).toEqual({ chmod: 1 });
  });

  it('keeps a failed removal only where its directory existed at that call', () => {
    const p = summarizeLines([
      // proven later by a call that did not create it: the directory was there all along
      '1 unlink("/run/app/old.pid") = -1 ENOENT (No such file or directory)',
      '1 openat(AT_FDCWD, "/run/app/new.pid", O_WRONLY|O_CREAT, 0644) = 3</run/app/new.pid>',
      // created only after the failed call: it was missing then
      '1 rename("/var/tmp/q/a", "/var/tmp/q/b") = -1 ENOENT (No such file or directory)',
      '1 mkdir("/var/tmp/q", 0700) = 0',
    ]);
    expect(actionList(p)).toEqual([
      'remove /run/app/old.pid',
      'create /run/app/new.pid',
      'write /run/app/new.pid',
      'create /var/tmp/q',
    ]);
  });

  it('puts names that only failed in failedSyscalls and names that succeeded anywhere in syscalls', () => {
    const p = summarizeLines([
      '1 openat(AT_FDCWD, "/x", O_RDONLY) = -1 ENOENT (No such file or directory)',
      '1 openat(AT_FDCWD, "/y", O_RDONLY) = 3',
      '1 membarrier(MEMBARRIER_CMD_QUERY, 0) = -1 ENOSYS (Function not implemented)',
      '1 read(3, "", 10) = 0',
      '1 read(3, "", 10) = 0',
      '1 exit_group(0) = ?',
    ]);
    expect(p.syscalls).toEqual({ exit_group: 1, openat: 1, read: 2 });
    expect(p.failedSyscalls).toEqual({ membarrier: 1 });
  });
});

describe('deduplication and order', () => {
  it('keeps the first evidence, counts repeats, and orders by first occurrence', () => {
    const p = summarizeLines([
      '1 openat(AT_FDCWD, "/etc/a", O_RDONLY) = 3',
      '1 mkdir("/tmp/d", 0700) = 0',
      '1 openat(AT_FDCWD, "/etc/a", O_RDONLY|O_CLOEXEC) = 4',
    ]);
    expect(p.actions.map((a) => [a.seq, a.count, a.action.kind === 'path' ? a.action.path : ''])).toEqual([
      [0, 2, '/etc/a'],
      [1, 1, '/tmp/d'],
    ]);
    expect(p.actions[0]!.action.ev).toEqual({
      pid: 1,
      line: 1,
      syscall: 'openat',
      text: 'openat(AT_FDCWD, "/etc/a", O_RDONLY) = 3',
    });
  });

  it('orders a resumed call by the line where it started', () => {
    const p = summarizeLines(
      [
        '1 mkdir("/tmp/first", 0700 <unfinished ...>',
        '2 mkdir("/tmp/second", 0700) = 0',
        '1 <... mkdir resumed>) = 0',
      ],
      { cwd: '/' },
    );
    // pid 2 is not pid 1's child in this log; its absolute path needs no inheritance.
    expect(actionList(p)).toEqual(['create /tmp/first', 'create /tmp/second']);
  });

  it('produces a document the Profile schema accepts', () => {
    const p = summarizeLines(['1 socket(AF_INET, SOCK_STREAM, IPPROTO_TCP) = 3', '1 kill(-1, SIGTERM) = 0']);
    expect(() => Profile.parse(p)).not.toThrow();
    expect(p.runs).toEqual([
      { source: 'test', lines: 2, syscalls: 2, unparsable: 0, pids: 1, unresolvedPaths: 0 },
    ]);
  });
});

describe('evidence excerpts', () => {
  it('never carry command lines, environments, payloads, key material or mount options', () => {
    const p = summarizeLines([
      '1 execve("/usr/bin/app", ["app", "--password=hunter2"], ["DB_PASSWORD=s3cret", "PATH=/bin"]) = 0',
      '1 socket(AF_INET, SOCK_DGRAM, IPPROTO_IP) = 3',
      '1 sendto(3, "Authorization: Bearer tok", 25, 0, {sa_family=AF_INET, sin_port=htons(53), sin_addr=inet_addr("10.0.0.1")}, 16) = 25',
      '1 add_key("user", "k", "private-key-bytes", 17, KEY_SPEC_SESSION_KEYRING) = 5',
      '1 mount("//srv/share", "/mnt", "cifs", 0, "username=u,password=pw") = 0',
      '1 setxattr("/srv/f", "user.token", "xattr-secret", 12, 0) = 0',
      '1 sendmsg(3, {msg_name={sa_family=AF_UNIX, sun_path="/run/x.sock"}, msg_namelen=110, msg_iov=[{iov_base="payload-secret", iov_len=14}], msg_iovlen=1, msg_controllen=0, msg_flags=0}, 0) = 14',
    ]);
    const texts = p.actions.map((a) => a.action.ev.text ?? '').join('\n');
    for (const secret of [
      'hunter2',
      's3cret',
      'Bearer',
      'private-key',
      'password=pw',
      'xattr-secret',
      'payload-secret',
    ]) {
      expect(texts).not.toContain(secret);
    }
    // What identifies the call stays: paths, addresses, names.
    expect(texts).toContain('execve("/usr/bin/app", [/* 2 items */], [/* 2 items */]) = 0');
    expect(texts).toContain('inet_addr("10.0.0.1")');
    expect(texts).toContain('mount("//srv/share", "/mnt", "cifs", 0, "…") = 0');
    expect(texts).toContain('sun_path="/run/x.sock"');
  });

  it('renders each call whole, whether its pieces are shared with other calls or not', () => {
    const name = 'n'.repeat(90);
    const dir = '/' + 'd'.repeat(190);
    const p = summarizeLines([
      '1 newfstatat(7</usr/share/pam>, "common-auth", {st_mode=S_IFREG|0644, st_size=1, ...}, AT_SYMLINK_NOFOLLOW) = 0',
      '1 newfstatat(7</usr/share/pam>, "common-account", {st_mode=S_IFREG|0644, st_size=1, ...}, AT_SYMLINK_NOFOLLOW) = 0',
      '1 newfstatat(8</etc>, "hosts", {st_mode=S_IFREG|0644, st_size=1, ...}, 0) = 0',
      `1 newfstatat(8</etc>, "${name}", {st_mode=S_IFREG|0644, st_size=1, ...}, 0) = 0`,
      `1 newfstatat(9<${dir}>, "f", {st_mode=S_IFREG|0644, st_size=1, ...}, 0) = 0`,
      '1 openat(AT_FDCWD, "/tmp/x", O_WRONLY|O_CREAT|O_EXCL, 0600) = 3</tmp/x>',
      '1 getdents64(8</etc>, 0x55 /* 4 entries */, 32768) = 112',
    ]);
    const long = `newfstatat(9<${dir}>, "f", {...}, 0) = 0`;
    expect(p.actions.map((a) => `${describeAction(a.action)}: ${a.action.ev.text}`)).toEqual([
      'read /usr/share/pam/common-auth: newfstatat(7</usr/share/pam>, "common-auth", {...}, AT_SYMLINK_NOFOLLOW) = 0',
      'read /usr/share/pam/common-account: newfstatat(7</usr/share/pam>, "common-account", {...}, AT_SYMLINK_NOFOLLOW) = 0',
      'read /etc/hosts: newfstatat(8</etc>, "hosts", {...}, 0) = 0',
      // bounded: 80 chars of a string, 200 chars in all
      `read /etc/${name}: newfstatat(8</etc>, "${'n'.repeat(80)}"..., {...}, 0) = 0`,
      `read ${dir}/f: ${long.slice(0, 199)}…`,
      'create /tmp/x: openat(AT_FDCWD, "/tmp/x", O_WRONLY|O_CREAT|O_EXCL, 0600) = 3</tmp/x>',
      'write /tmp/x: openat(AT_FDCWD, "/tmp/x", O_WRONLY|O_CREAT|O_EXCL, 0600) = 3</tmp/x>',
      'read /etc: getdents64(8</etc>, 0x55, 32768) = 112',
    ]);
  });
});

describe('path normalisation', () => {
  it('records /proc/<traced pid> as /proc/self and leaves other pids alone', () => {
    expect(
      actionList(
        summarizeLines([
          '7 openat(AT_FDCWD, "/proc/self/status", O_RDONLY) = 3</proc/7/status>',
          '7 openat(AT_FDCWD, "/proc/1/cmdline", O_RDONLY) = 4</proc/1/cmdline>',
          '7 readlink("/proc/thread-self/exe", "/x", 4096) = 2',
        ]),
      ),
    ).toEqual(['read /proc/self/status', 'read /proc/1/cmdline', 'read /proc/thread-self/exe']);
  });

  it('joins names onto directory fds and the cwd, normalising what needs it', () => {
    expect(
      actionList(
        summarizeLines(
          [
            '1 newfstatat(7</usr/share/pam>, "common-auth", {st_mode=S_IFREG|0644, st_size=1, ...}, 0) = 0',
            '1 newfstatat(7</usr/share/pam>, "..", {st_mode=S_IFDIR|0755, st_size=1, ...}, 0) = 0',
            '1 newfstatat(7</usr/share/pam>, "...", {st_mode=S_IFREG|0644, st_size=1, ...}, 0) = 0',
            '1 newfstatat(7</usr/share/pam>, ".hidden", {st_mode=S_IFREG|0644, st_size=1, ...}, 0) = 0',
            '1 newfstatat(7</usr/share/pam>, "./../x", {st_mode=S_IFREG|0644, st_size=1, ...}, 0) = 0',
            '1 newfstatat(8</>, "etc", {st_mode=S_IFDIR|0755, st_size=1, ...}, 0) = 0',
            '1 newfstatat(9</srv/./x/>, "y", {st_mode=S_IFREG|0644, st_size=1, ...}, 0) = 0',
            '1 newfstatat(AT_FDCWD, "rel", {st_mode=S_IFREG|0644, st_size=1, ...}, 0) = 0',
          ],
          { cwd: '/w' },
        ),
      ),
    ).toEqual([
      'read /usr/share/pam/common-auth',
      'read /usr/share',
      'read /usr/share/pam/...',
      'read /usr/share/pam/.hidden',
      'read /usr/share/x',
      'read /etc',
      'read /srv/x/y',
      'read /w/rel',
    ]);
  });

  it('removes . and never turns pseudo fds into paths', () => {
    expect(
      actionList(
        summarizeLines(
          [
            '1 openat(AT_FDCWD, "/etc/./hosts", O_RDONLY) = 3',
            '1 newfstatat(4<socket:[99]>, "", {st_mode=S_IFSOCK|0777, st_size=0, ...}, AT_EMPTY_PATH) = 0',
            '1 mkdirat(5<anon_inode:[eventfd]>, "x", 0700) = 0',
            '1 openat(AT_FDCWD, "pipe:[1]", O_RDONLY) = 6',
          ],
          { cwd: '/w' },
        ),
      ),
    ).toEqual(['read /etc/hosts', 'read /w/pipe:[1]']);
  });
});

describe('the path rule: a path enters the profile only as the kernel resolved it', () => {
  const paths = (lines: string[], cwd = '/w') => {
    const p = summarizeLines(lines, { cwd });
    return { actions: actionList(p), dropped: p.runs[0]!.droppedPaths ?? 0 };
  };

  it('never follows .. over a name the argument supplied (the issue cases)', () => {
    expect(
      paths([
        // Failing creates: the kernel never got past /nonexistent.
        '1 openat(AT_FDCWD, "/nonexistent/../etc/cron.d/x", O_WRONLY|O_CREAT, 0644) = -1 ENOENT (No such file or directory)',
        '1 openat(AT_FDCWD, "/dev/nonexistent/../sd\\"a\\"", O_WRONLY|O_CREAT, 0644) = -1 ENOENT (No such file or directory)',
        // Successful symlink games: `link` may be a symlink, so `link/..` is not /srv/x.
        '1 mkdir("/srv/x/link/../../../etc/cron.d/evil", 0755) = 0',
        '1 unlink("link/../../etc/passwd") = 0',
        '1 newfstatat(AT_FDCWD, "/proc/self/cwd/../shadow", {st_mode=S_IFREG|0644, st_size=1, ...}, 0) = 0',
      ]),
    ).toEqual({ actions: [], dropped: 3 }); // the failed creates needed nothing: not counted
  });

  it('follows .. over what the kernel printed for that call, and takes an open’s decoration as is', () => {
    expect(
      paths([
        '1 openat(AT_FDCWD</srv/app/bin>, "../conf/./a", O_RDONLY) = 3</srv/app/conf/a>',
        '1 newfstatat(7</srv/app/bin>, "../../lib", {st_mode=S_IFDIR|0755, st_size=1, ...}, 0) = 0',
        '1 openat(AT_FDCWD, "/usr/bin/../lib/libx.so", O_RDONLY) = 3</usr/lib/libx.so>',
        '1 newfstatat(AT_FDCWD, "/../../etc/hosts", {st_mode=S_IFREG|0644, st_size=1, ...}, 0) = 0',
      ]),
    ).toEqual({
      actions: ['read /srv/app/conf/a', 'read /srv/lib', 'read /usr/lib/libx.so', 'read /etc/hosts'],
      dropped: 0,
    });
  });

  it('does not climb a cwd or an fd path that is the tracee’s own text', () => {
    expect(
      paths([
        '1 chdir("/srv/x/link") = 0',
        '1 mkdir("../../etc/x", 0755) = 0',
        // An AT_FDCWD decoration tells the kernel's cwd again: .. may climb it.
        '1 openat(AT_FDCWD</srv/real>, "..", O_RDONLY|O_DIRECTORY) = 3</srv>',
        '1 mkdir("../y", 0755) = 0',
      ]),
    ).toEqual({ actions: ['read /srv/x/link', 'read /srv', 'create /srv/y'], dropped: 1 });
  });

  it('keeps bytes that are not UTF-8 apart from the UTF-8 name that looks the same in latin1', () => {
    const p = summarizeLines([
      '1 openat(AT_FDCWD, "/srv/caf\\xe9", O_WRONLY|O_CREAT, 0644) = 3</srv/caf\\xe9>',
      '1 openat(AT_FDCWD, "/srv/caf\\xc3\\xa9", O_RDONLY) = 4</srv/caf\\xc3\\xa9>',
    ]);
    expect(actionList(p)).toEqual(['create /srv/caf\udce9', 'write /srv/caf\udce9', 'read /srv/café']);
  });
});

describe('driving the summarizer', () => {
  it('handles calls given directly as Syscall objects, including name-only ones', () => {
    const s = createSummarizer({ cwd: '/' });
    const call = (line: number, name: string, args: Syscall['args']): Syscall => ({
      type: 'syscall',
      pid: 5,
      name,
      args,
      ret: { value: 0, raw: '0' },
      line,
    });
    s.push(call(1, 'getpid', null));
    s.push(call(2, 'unlink', [{ t: 'str', value: '/var/lib/x', truncated: false }]));
    s.push({ type: 'exit', pid: 5, code: 0, line: 3 });
    const p = s.finish({ source: 'direct' });
    expect(actionList(p)).toEqual(['remove /var/lib/x']);
    expect(p.syscalls).toEqual({ getpid: 1, unlink: 1 });
    expect(s.stats().handlerErrors).toBe(0);
  });

  it('summarizes an async stream of events and of batches alike', async () => {
    const ev: Syscall = {
      type: 'syscall',
      pid: 1,
      name: 'rmdir',
      args: [{ t: 'str', value: '/run/x', truncated: false }],
      ret: { value: 0, raw: '0' },
      line: 1,
    };
    async function* single() {
      yield ev;
    }
    async function* batches() {
      yield [ev];
    }
    const a = await summarizeStream(single(), {}, { source: 's' });
    const b = await summarizeStream(batches(), {}, () => ({ source: 's' }));
    expect(actionList(a)).toEqual(['remove /run/x']);
    expect(b).toEqual(a);
  });

  it('stops waiting for a parent after maxHoldLines lines, before the end of the trace', () => {
    const s = createSummarizer({ cwd: '/', maxHoldLines: 2 });
    const mk = (pid: number, line: number, path: string): Syscall => ({
      type: 'syscall',
      pid,
      name: 'mkdir',
      args: [
        { t: 'str', value: path, truncated: false },
        { t: 'int', value: 0o700, raw: '0700' },
      ],
      ret: { value: 0, raw: '0' },
      line,
    });
    s.push(mk(1, 1, '/a'));
    s.push(mk(2, 2, 'rel'));
    s.push(mk(1, 3, '/b'));
    expect(s.stats().orphanProcesses).toBe(0);
    s.push(mk(1, 5, '/c'));
    expect(s.stats().orphanProcesses).toBe(1);
    expect(s.stats().unresolvedPaths).toBe(1);
    expect(actionList(s.finish())).toEqual(['create /a', 'create /b', 'create /c']);
  });

  it('stops holding events of processes with no known parent beyond the bound', () => {
    const s = createSummarizer({ cwd: '/', maxPendingEvents: 2 });
    const mk = (pid: number, line: number): Syscall => ({
      type: 'syscall',
      pid,
      name: 'mkdir',
      args: [
        { t: 'str', value: `/d${line}`, truncated: false },
        { t: 'int', value: 0o700, raw: '0700' },
      ],
      ret: { value: 0, raw: '0' },
      line,
    });
    s.push(mk(1, 1));
    s.push(mk(2, 2));
    s.push(mk(3, 3));
    s.push(mk(4, 4));
    expect(s.stats().orphanProcesses).toBeGreaterThanOrEqual(1);
    expect(actionList(s.finish())).toEqual(['create /d1', 'create /d2', 'create /d3', 'create /d4']);
  });
});

describe('HANDLED_SYSCALLS', () => {
  it('covers the syscall families the summary needs', () => {
    for (const name of [
      'open',
      'openat',
      'openat2',
      'creat',
      'stat',
      'statx',
      'access',
      'faccessat2',
      'readlinkat',
      'getdents64',
      'execve',
      'execveat',
      'mkdirat',
      'mknodat',
      'unlinkat',
      'rmdir',
      'renameat2',
      'linkat',
      'symlinkat',
      'truncate',
      'fchmodat',
      'fchownat',
      'utimensat',
      'setxattr',
      'chdir',
      'fchdir',
      'socket',
      'socketpair',
      'bind',
      'connect',
      'accept4',
      'sendto',
      'sendmsg',
      'listen',
      'mmap',
      'mprotect',
      'pkey_mprotect',
      'sched_setscheduler',
      'sched_setattr',
      'clock_settime',
      'settimeofday',
      'adjtimex',
      'clock_adjtime',
      'personality',
      'init_module',
      'finit_module',
      'delete_module',
      'syslog',
      'unshare',
      'clone',
      'clone3',
      'setns',
      'sethostname',
      'setdomainname',
      'shmget',
      'mq_open',
      'keyctl',
      'mount',
      'umount2',
      'pivot_root',
      'chroot',
      'ptrace',
      'process_vm_readv',
      'reboot',
      'swapon',
      'swapoff',
      'kexec_load',
      'setuid',
      'setresgid',
      'kill',
      'tgkill',
      'timer_create',
      'timerfd_create',
      'mlock',
      'mlockall',
      'memfd_create',
      'dup2',
      'dup3',
      'fcntl',
      'close',
      'close_range',
      'fork',
      'vfork',
    ]) {
      expect(HANDLED_SYSCALLS.has(name)).toBe(true);
    }
    expect(HANDLED_SYSCALLS.has('read')).toBe(false);
    expect(HANDLED_SYSCALLS.has('futex')).toBe(false);
  });
});

describe('launcherExecs: hush’s own launcher in front of the service is not the service', () => {
  it('leaves out the first process’s events up to the service’s exec, and nothing after', () => {
    const p = summarizeLines(
      [
        '7 execve("/usr/bin/setpriv", ["setpriv", "--reuid=998"], 0x1 /* 3 vars */) = 0',
        '7 capset({version=_LINUX_CAPABILITY_VERSION_3, pid=7}, {effective=0, permitted=0, inheritable=0}) = 0',
        '7 setresuid(998, 998, 998) = 0',
        '7 setgroups(0, []) = 0',
        '7 execve("/usr/local/bin/setpriv-missing", ["x"], 0x1 /* 3 vars */) = -1 ENOENT (No such file or directory)',
        '7 execve("/usr/sbin/svc", ["svc"], 0x1 /* 3 vars */) = 0',
        '7 setresuid(999, 999, 999) = 0',
        '7 openat(AT_FDCWD, "/etc/svc.conf", O_RDONLY) = 3</etc/svc.conf>',
      ],
      { cwd: '/', launcherExecs: 1 },
    );
    expect(actionList(p)).toEqual(['exec /usr/sbin/svc', 'setCredentials setresuid', 'read /etc/svc.conf']);
    expect(p.syscalls).toEqual({ execve: 1, openat: 1, setresuid: 1 });
  });
});

describe('processes whose parent was never traced (a recorder that follows a whole cgroup)', () => {
  test('an orphan and the children it forked: the children inherit its fd table at finish', () => {
    // 200 is forked by an untraced manager after the first process (100) is seen; it forks 201,
    // which forks 202: all three wait for a parent, and the chain is resolved oldest first
    const p = summarizeLines([
      '100 execve("/usr/sbin/svc", ["svc", "-t"], 0x7ffc /* 3 vars */) = 0',
      '200 execve("/usr/sbin/svc", ["svc"], 0x7ffc /* 3 vars */) = 0',
      '200 socket(AF_INET, SOCK_STREAM, IPPROTO_IP) = 5<socket:[77]>',
      '200 clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD, child_tidptr=0x7f) = 201',
      '201 clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD, child_tidptr=0x7f) = 202',
      '202 accept4(5<socket:[77]>, {sa_family=AF_INET, sin_port=htons(40000), sin_addr=inet_addr("127.0.0.1")}, [16], SOCK_CLOEXEC) = 6<socket:[78]>',
    ]);
    expect(actionList(p)).toContain('net accept AF_INET 127.0.0.1:* SOCK_STREAM');
  });
});

describe('syscall ABIs (strace personality notices)', () => {
  it('records the ABIs processes switched to, and whether the recorder watched at all', () => {
    const s = createSummarizer({ source: 'direct' });
    s.push({ type: 'personality', pid: 7, mode: '32 bit', line: 1 });
    s.push({ type: 'personality', pid: 7, mode: '64 bit', line: 2 });
    s.push({ type: 'personality', pid: 8, mode: '32 bit', line: 3 });
    const p = s.finish({ source: 'direct', abiWatched: true });
    expect(p.runs[0]).toMatchObject({ abiWatched: true, abiSwitches: ['32 bit', '64 bit'] });
    expect(Profile.parse(p).runs[0]!.abiSwitches).toEqual(['32 bit', '64 bit']);
  });

  it('a run without notices says nothing about switches, and is watched only when the caller says so', () => {
    const quiet = createSummarizer().finish({ source: 'x' }).runs[0]!;
    expect(quiet.abiSwitches).toBeUndefined();
    expect(quiet.abiWatched).toBeUndefined();
    expect(createSummarizer().finish({ source: 'x', abiWatched: true }).runs[0]!.abiWatched).toBe(true);
  });
});
