import { actionList, summarizeLines } from '../testHelpers';

const run = (lines: string[], cwd = '/srv') => actionList(summarizeLines(lines, { cwd }));

describe('process creation and shared state', () => {
  it('gives a forked child a copy of the cwd: its chdir does not move the parent', () => {
    expect(
      run(['10 fork() = 11', '11 chdir("/child") = 0', '11 mkdir("c", 0755) = 0', '10 mkdir("p", 0755) = 0']),
    ).toEqual(['read /child', 'create /child/c', 'create /srv/p']);
  });

  it('shares the cwd with a CLONE_FS child: its chdir moves the parent too', () => {
    expect(
      run([
        '10 clone(child_stack=0x7f, flags=CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|CLONE_SYSVSEM) = 11',
        '11 chdir("/shared") = 0',
        '10 mkdir("p", 0755) = 0',
      ]),
    ).toEqual(['read /shared', 'create /shared/p']);
  });

  it('shares the fd table with a CLONE_FILES child and copies it otherwise', () => {
    expect(
      run([
        '10 clone3({flags=CLONE_VM|CLONE_FILES, exit_signal=SIGCHLD, stack=0x7f, stack_size=0x1000}, 88) = 11',
        '11 openat(AT_FDCWD, "/dir1", O_RDONLY|O_DIRECTORY) = 5',
        '10 mkdirat(5, "a", 0700) = 0',
        '10 fork() = 12',
        '12 close(5) = 0',
        '10 mkdirat(5, "b", 0700) = 0',
        '12 mkdirat(5, "lost", 0700) = 0',
      ]),
    ).toEqual(['read /dir1', 'create /dir1/a', 'create /dir1/b']);
  });

  it("holds a child's calls printed before the parent's clone returns, then resolves them in the child's context", () => {
    const p = summarizeLines(
      [
        '10 chdir("/base") = 0',
        '10 vfork( <unfinished ...>',
        '11 mkdir("made-by-child", 0755) = 0',
        '10 <... vfork resumed>) = 11',
        '10 openat(AT_FDCWD, "made-by-child", O_RDONLY|O_DIRECTORY) = 3',
      ],
      { cwd: '/' },
    );
    expect(actionList(p)).toEqual(['read /base', 'create /base/made-by-child', 'read /base/made-by-child']);
    expect(p.actions[1]!.action.ev).toMatchObject({ pid: 11, line: 3, syscall: 'mkdir' });
  });

  it('starts a process whose clone was never seen with an unknown cwd and counts it', () => {
    const p = summarizeLines(
      ['10 mkdir("/abs", 0755) = 0', '99 mkdir("rel", 0755) = 0', '99 mkdir("/abs2", 0755) = 0'],
      {
        cwd: '/',
      },
    );
    expect(actionList(p)).toEqual(['create /abs', 'create /abs2']);
    expect(p.runs[0]!.unresolvedPaths).toBe(1);
  });

  it('takes a parentless process that starts with execve as a new root with the configured cwd (a restart appended with -A)', () => {
    const p = summarizeLines(
      [
        '10 execve("/usr/bin/app", ["app"], 0x1 /* 1 var */) = 0',
        '10 mkdir("run1", 0755) = 0',
        '10 exit_group(0) = ?',
        '10 +++ exited with 0 +++',
        '20 execve("/usr/bin/app", ["app"], 0x1 /* 1 var */) = 0',
        '20 mkdir("run2", 0755) = 0',
      ],
      { cwd: '/var/lib/app', maxHoldLines: 1 },
    );
    expect(actionList(p)).toEqual([
      'exec /usr/bin/app',
      'create /var/lib/app/run1',
      'create /var/lib/app/run2',
    ]);
  });

  it('splits the fd table and fs context on unshare(CLONE_FILES|CLONE_FS)', () => {
    expect(
      run([
        '10 clone(child_stack=NULL, flags=CLONE_FS|CLONE_FILES) = 11',
        '11 unshare(CLONE_FS|CLONE_FILES) = 0',
        '11 chdir("/own") = 0',
        '11 openat(AT_FDCWD, "/d", O_RDONLY|O_DIRECTORY) = 7',
        '10 mkdir("p", 0755) = 0',
        '10 mkdirat(7, "x", 0700) = 0',
      ]),
    ).toEqual(['read /own', 'read /d', 'create /srv/p']);
  });

  it('forgets an exited process so its pid can be reused by a new child', () => {
    expect(
      run([
        '10 fork() = 11',
        '11 chdir("/old") = 0',
        '11 +++ exited with 0 +++',
        '10 fork() = 11',
        '11 mkdir("n", 0755) = 0',
      ]),
    ).toEqual(['read /old', 'create /srv/n']);
  });
});

describe('namespaces', () => {
  it('records namespace flags of clone, unshare and setns', () => {
    expect(
      run([
        '10 clone(child_stack=NULL, flags=CLONE_NEWNET|CLONE_NEWNS|SIGCHLD) = 11',
        '10 unshare(CLONE_NEWUSER) = 0',
        '10 setns(3</proc/1/ns/uts>, CLONE_NEWUTS) = 0',
        '10 setns(4<net:[4026531840]>, 0) = 0',
      ]),
    ).toEqual([
      'namespace net via clone',
      'namespace mnt via clone',
      'namespace user via unshare',
      'namespace uts via setns',
      'namespace net via setns',
    ]);
  });

  it('assumes every namespace type for setns with an unknown fd', () => {
    expect(run(['10 setns(4, 0) = 0'])).toHaveLength(8);
  });
});

describe('signals', () => {
  it('records kill to a process outside the traced tree, and to process groups', () => {
    expect(
      run([
        '10 fork() = 11',
        '10 kill(11, SIGTERM) = 0',
        '10 kill(1, SIGHUP) = 0',
        '10 kill(0, SIGTERM) = 0',
        '10 tgkill(10, 10, SIGABRT) = 0',
      ]),
    ).toEqual(['killOther 1 SIGHUP', 'killOther 0 SIGTERM']);
  });

  it('resolves pidfd_send_signal targets through pidfd_open', () => {
    expect(run(['10 pidfd_open(4242, 0) = 3', '10 pidfd_send_signal(3, SIGKILL, NULL, 0) = 0'])).toEqual([
      'killOther 4242 SIGKILL',
    ]);
  });
});

describe('credentials and tracing', () => {
  it('records setuid family calls and ptrace-like access', () => {
    expect(
      run([
        '10 setresuid(1000, 1000, 1000) = 0',
        '10 setgroups(0, NULL) = 0',
        '10 ptrace(PTRACE_ATTACH, 55) = 0',
        '10 process_vm_readv(55, [{iov_base=0x1, iov_len=8}], 1, [{iov_base=0x2, iov_len=8}], 1, 0) = 8',
      ]),
    ).toEqual(['setCredentials setresuid', 'setCredentials setgroups', 'ptrace']);
  });

  it('ignores a failed setuid (EPERM)', () => {
    expect(run(['10 setuid(0) = -1 EPERM (Operation not permitted)'])).toEqual([]);
  });
});
