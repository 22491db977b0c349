import { actionList, summarizeLines } from '../testHelpers';

const run = (lines: string[], cwd = '/srv') => actionList(summarizeLines(lines, { cwd }));

describe('open family', () => {
  it('records read for O_RDONLY, using the returned fd path and the requested path when they differ', () => {
    expect(
      run([
        '1 openat(AT_FDCWD</srv>, "/etc/resolv.conf", O_RDONLY|O_CLOEXEC) = 3</run/systemd/resolve/stub-resolv.conf>',
      ]),
    ).toEqual(['read /run/systemd/resolve/stub-resolv.conf', 'read /etc/resolv.conf']);
  });

  it('records create, write and read for O_RDWR|O_CREAT, create first', () => {
    expect(run(['1 openat(AT_FDCWD</srv>, "data/db", O_RDWR|O_CREAT, 0600) = 3</srv/data/db>'])).toEqual([
      'create /srv/data/db',
      'write /srv/data/db',
      'read /srv/data/db',
    ]);
  });

  it('records write only for O_WRONLY|O_TRUNC', () => {
    expect(run(['1 open("/var/log/x.log", O_WRONLY|O_APPEND|O_TRUNC) = 4'])).toEqual([
      'write /var/log/x.log',
    ]);
  });

  it('counts O_CREAT|O_EXCL failing with EEXIST as a lookup only (a read-only mount answers EEXIST too)', () => {
    expect(
      run(['1 openat(AT_FDCWD, "/run/x.lock", O_WRONLY|O_CREAT|O_EXCL, 0644) = -1 EEXIST (File exists)']),
    ).toEqual(['read /run/x.lock']);
  });

  it('records nothing for an open that failed with ENOENT', () => {
    expect(
      run(['1 openat(AT_FDCWD, "/etc/nope", O_RDONLY) = -1 ENOENT (No such file or directory)']),
    ).toEqual([]);
  });

  it('treats creat as O_CREAT|O_WRONLY|O_TRUNC', () => {
    expect(run(['1 creat("out.txt", 0644) = 3'])).toEqual(['create /srv/out.txt', 'write /srv/out.txt']);
  });

  it('reads openat2 flags from its open_how struct', () => {
    expect(
      run([
        '1 openat2(AT_FDCWD</srv>, "/var/lib/app/st", {flags=O_RDWR|O_CREAT, mode=0600, resolve=0}, 24) = 3</var/lib/app/st>',
      ]),
    ).toEqual(['create /var/lib/app/st', 'write /var/lib/app/st', 'read /var/lib/app/st']);
  });

  it('records O_TMPFILE as a write to the directory, not a create', () => {
    expect(
      run(['1 openat(AT_FDCWD</srv>, "/var/tmp", O_RDWR|O_TMPFILE, 0600) = 3</var/tmp/#123 (deleted)>']),
    ).toEqual(['write /var/tmp/#123', 'read /var/tmp']);
  });

  it('flags a setuid/setgid mode on create', () => {
    expect(run(['1 openat(AT_FDCWD, "/usr/local/bin/x", O_WRONLY|O_CREAT, 04755) = 3'])).toContain(
      'setuidBits /usr/local/bin/x',
    );
  });

  it('does not count writing or O_CREAT on a character device as a file-system write', () => {
    expect(
      run([
        '1 openat(AT_FDCWD, "/dev/null", O_WRONLY|O_CREAT|O_TRUNC, 0666) = 3</dev/null>',
        '1 openat(AT_FDCWD, "/dev/pts/0", O_RDWR) = 4',
        '1 openat(AT_FDCWD, "/dev/custom", O_WRONLY) = 5</dev/custom<char 240:0>>',
        '1 openat(AT_FDCWD, "/dev/shm/seg", O_RDWR|O_CREAT, 0600) = 6</dev/shm/seg>',
      ]),
    ).toEqual([
      'read /dev/null',
      'read /dev/pts/0',
      'read /dev/custom',
      'create /dev/shm/seg',
      'write /dev/shm/seg',
      'read /dev/shm/seg',
    ]);
  });

  it('reports /dev/kmsg access as kernel log use', () => {
    expect(run(['1 openat(AT_FDCWD, "/dev/kmsg", O_RDONLY) = 3</dev/kmsg>'])).toEqual([
      'read /dev/kmsg',
      'kernelLog',
    ]);
  });

  it('reports writing /proc/sys/kernel/hostname as setting the hostname', () => {
    expect(run(['1 openat(AT_FDCWD, "/proc/sys/kernel/hostname", O_WRONLY) = 3'])).toContain('setHostname');
  });
});

describe('path-reading calls', () => {
  it('records reads for the stat family, statx, access, readlink', () => {
    expect(
      run([
        '1 stat("/etc/a", {st_mode=S_IFREG|0644, st_size=1, ...}) = 0',
        '1 lstat("b", {st_mode=S_IFREG|0644, st_size=1, ...}) = 0',
        '1 newfstatat(AT_FDCWD</srv>, "c", {st_mode=S_IFREG|0644, st_size=1, ...}, 0) = 0',
        '1 statx(AT_FDCWD</srv>, "/etc/d", AT_STATX_SYNC_AS_STAT, STATX_ALL, {stx_mask=STATX_ALL, stx_attributes=0, stx_mode=S_IFREG|0644, stx_size=1, ...}) = 0',
        '1 readlinkat(AT_FDCWD</srv>, "/etc/e", "x", 4095) = 1',
        '1 faccessat2(AT_FDCWD</srv>, "/etc/f", R_OK, AT_EACCESS) = 0',
      ]),
    ).toEqual(['read /etc/a', 'read /srv/b', 'read /srv/c', 'read /etc/d', 'read /etc/e', 'read /etc/f']);
  });

  it('records W_OK as write and X_OK as exec for access', () => {
    expect(run(['1 access("/var/lib/x", W_OK) = 0', '1 access("/usr/bin/y", X_OK) = 0'])).toEqual([
      'write /var/lib/x',
      'read /var/lib/x',
      'exec /usr/bin/y',
      'read /usr/bin/y',
    ]);
  });

  it('resolves AT_EMPTY_PATH to the dirfd itself', () => {
    expect(
      run([
        '1 newfstatat(3</usr/lib/libc.so.6>, "", {st_mode=S_IFREG|0755, st_size=1, ...}, AT_EMPTY_PATH) = 0',
      ]),
    ).toEqual(['read /usr/lib/libc.so.6']);
  });

  it('records getdents64 and fstat on the fd path, and ignores pseudo fds', () => {
    expect(
      run([
        '1 getdents64(3</etc/ssl/certs>, 0x55d0 /* 12 entries */, 32768) = 512',
        '1 fstat(4<pipe:[1234]>, {st_mode=S_IFIFO|0600, st_size=0, ...}) = 0',
        '1 fstat(5<anon_inode:[eventfd]>, {st_mode=S_IFREG|0600, st_size=0, ...}) = 0',
      ]),
    ).toEqual(['read /etc/ssl/certs']);
  });
});

describe('changing calls', () => {
  it('records mkdir as create and resolves mkdirat against a dirfd', () => {
    expect(run(['1 mkdir("cache", 0755) = 0', '1 mkdirat(3</var/lib>, "app", 0700) = 0'])).toEqual([
      'create /srv/cache',
      'create /var/lib/app',
    ]);
  });

  it('reads mknodat pathname from argument 1 and keeps the node type and device numbers', () => {
    expect(
      run([
        '1 mknodat(AT_FDCWD</srv>, "null2", S_IFCHR|0666, makedev(0x1, 0x3)) = 0',
        '1 mknod("/run/fifo", S_IFIFO|0600) = 0',
        '1 mknod("/run/plain", 0600) = 0',
      ]),
    ).toEqual([
      'create /srv/null2',
      'mknod char /srv/null2 1:3',
      'create /run/fifo',
      'mknod fifo /run/fifo',
      'create /run/plain',
      'mknod regular /run/plain',
    ]);
  });

  it('records unlink, unlinkat and rmdir as remove', () => {
    expect(
      run([
        '1 unlink("/var/lib/x/a") = 0',
        '1 unlinkat(3</var/lib/x>, "b", AT_REMOVEDIR) = 0',
        '1 rmdir("/var/lib/x") = 0',
      ]),
    ).toEqual(['remove /var/lib/x/a', 'remove /var/lib/x/b', 'remove /var/lib/x']);
  });

  it('records rename as remove of the source and create of the destination', () => {
    expect(run(['1 renameat(AT_FDCWD</srv>, "tmp.new", AT_FDCWD</srv>, "state") = 0'])).toEqual([
      'remove /srv/tmp.new',
      'create /srv/state',
    ]);
  });

  it('records RENAME_EXCHANGE as read and write of both sides', () => {
    expect(run(['1 renameat2(AT_FDCWD</srv>, "a", 3</etc>, "b", RENAME_EXCHANGE) = 0'])).toEqual([
      'read /srv/a',
      'write /srv/a',
      'read /etc/b',
      'write /etc/b',
    ]);
  });

  it('records link and symlink as create of the new name', () => {
    expect(
      run(['1 link("/srv/a", "/srv/b") = 0', '1 symlinkat("/anywhere", AT_FDCWD</srv>, "ln") = 0']),
    ).toEqual(['read /srv/a', 'create /srv/b', 'create /srv/ln']);
  });

  it('records truncate and ftruncate as write', () => {
    expect(run(['1 truncate("/var/log/a", 0) = 0', '1 ftruncate(3</var/log/b>, 0) = 0'])).toEqual([
      'write /var/log/a',
      'write /var/log/b',
    ]);
  });

  it('records chmod family as metadata, and setuid/setgid bits', () => {
    expect(
      run([
        '1 chmod("/srv/x", 0644) = 0',
        '1 fchmod(3</srv/y>, 02755) = 0',
        '1 fchmodat(AT_FDCWD</srv>, "z", S_ISUID|0755) = 0',
      ]),
    ).toEqual([
      'metadata /srv/x',
      'metadata /srv/y',
      'setuidBits /srv/y',
      'metadata /srv/z',
      'setuidBits /srv/z',
    ]);
  });

  it('records chown family as metadata and chown', () => {
    expect(
      run(['1 fchownat(AT_FDCWD</srv>, "f", 0, 0, 0) = 0', '1 fchown(3</srv/g>, 1000, -1) = 0']),
    ).toEqual(['metadata /srv/f', 'chown /srv/f', 'metadata /srv/g', 'chown /srv/g']);
  });

  it('records utimensat with a NULL path as metadata of the fd', () => {
    expect(run(['1 utimensat(3</srv/f>, NULL, NULL, 0) = 0', '1 utimes("/srv/g", NULL) = 0'])).toEqual([
      'metadata /srv/f',
      'metadata /srv/g',
    ]);
  });

  it('records setxattr as metadata and getxattr as read', () => {
    expect(
      run([
        '1 setxattr("/srv/f", "user.x", "1", 1, 0) = 0',
        '1 fgetxattr(3</srv/g>, "security.selinux", 0x7ffc, 255) = -1 ENODATA (No data available)',
        '1 lgetxattr("/srv/h", "user.x", "1", 255) = 1',
      ]),
    ).toEqual(['metadata /srv/f', 'read /srv/h']);
  });

  it('records execve as exec', () => {
    expect(run(['1 execve("/usr/bin/env", ["env"], 0x7ffd /* 3 vars */) = 0'])).toEqual([
      'exec /usr/bin/env',
    ]);
  });

  it('adds the interpreters the caller knows for an executed file (ELF interpreter, #! chain)', () => {
    const interpreters = (path: string) =>
      path === '/usr/local/bin/tool' ? ['/usr/bin/python3', '/lib64/ld-linux-x86-64.so.2'] : [];
    const p = summarizeLines(['1 execve("/usr/local/bin/tool", ["tool"], 0x7ffd /* 3 vars */) = 0'], {
      interpreters,
    });
    expect(actionList(p)).toEqual([
      'exec /usr/local/bin/tool',
      'exec /usr/bin/python3',
      'exec /lib64/ld-linux-x86-64.so.2',
    ]);
  });
});

describe('cwd tracking', () => {
  it('resolves relative paths against chdir and fchdir targets', () => {
    expect(
      run([
        '1 chdir("/var/lib") = 0',
        '1 mkdir("a", 0755) = 0',
        '1 fchdir(3</opt/app/bin>) = 0',
        '1 unlink("../c") = 0',
        '1 unlink("b/../c") = 0',
      ]),
    ).toEqual(['read /var/lib', 'create /var/lib/a', 'read /opt/app/bin', 'remove /opt/app/c']);
  });

  it('does not move the cwd when chdir fails', () => {
    expect(
      run(['1 chdir("/nope") = -1 ENOENT (No such file or directory)', '1 mkdir("a", 0755) = 0'], '/home/u'),
    ).toEqual(['create /home/u/a']);
  });

  it('learns the cwd from an AT_FDCWD decoration when it was unknown', () => {
    const p = summarizeLines([
      '1 mkdir("early", 0755) = 0',
      '1 openat(AT_FDCWD</work>, "x", O_RDONLY) = 3</work/x>',
      '1 mkdir("late", 0755) = 0',
    ]);
    expect(actionList(p)).toEqual(['read /work/x', 'create /work/late']);
    expect(p.runs[0]!.unresolvedPaths).toBe(1);
  });

  it('learns the cwd from getcwd', () => {
    expect(actionList(summarizeLines(['1 getcwd("/data", 4096) = 6', '1 mkdir("d", 0755) = 0']))).toEqual([
      'create /data/d',
    ]);
  });

  it('resolves absolute paths under the root after chroot', () => {
    expect(run(['1 chroot("/var/empty") = 0', '1 openat(AT_FDCWD, "/etc/x", O_RDONLY) = 3'])).toEqual([
      'mount chroot /var/empty',
      'read /var/empty/etc/x',
    ]);
  });
});

describe('fd table', () => {
  it('resolves undecorated dirfds from the fd table, through dup2 and fcntl(F_DUPFD)', () => {
    expect(
      run([
        '1 openat(AT_FDCWD, "/var/lib/app", O_RDONLY|O_DIRECTORY) = 3',
        '1 dup2(3, 10) = 10',
        '1 fcntl(10, F_DUPFD_CLOEXEC, 20) = 20',
        '1 close(3) = 0',
        '1 mkdirat(20, "sub", 0700) = 0',
        '1 mkdirat(3, "lost", 0700) = 0',
      ]),
    ).toEqual(['read /var/lib/app', 'create /var/lib/app/sub']);
  });

  it('forgets fds closed by close_range', () => {
    const p = summarizeLines(
      [
        '1 openat(AT_FDCWD, "/a", O_RDONLY|O_DIRECTORY) = 5',
        '1 close_range(3, 100, 0) = 0',
        '1 mkdirat(5, "x", 0700) = 0',
      ],
      { cwd: '/' },
    );
    expect(actionList(p)).toEqual(['read /a']);
  });

  it('drops close-on-exec fds at a successful execve', () => {
    expect(
      run([
        '1 openat(AT_FDCWD, "/keep", O_RDONLY|O_DIRECTORY) = 3',
        '1 openat(AT_FDCWD, "/gone", O_RDONLY|O_DIRECTORY|O_CLOEXEC) = 4',
        '1 execve("/bin/x", ["x"], 0x1 /* 0 vars */) = 0',
        '1 mkdirat(3, "a", 0700) = 0',
        '1 mkdirat(4, "b", 0700) = 0',
      ]),
    ).toEqual(['read /keep', 'read /gone', 'exec /bin/x', 'create /keep/a']);
  });
});
