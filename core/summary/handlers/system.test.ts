import { actionList, summarizeLines } from '../testHelpers';

const run = (lines: string[]) => actionList(summarizeLines(lines, { cwd: '/' }));

describe('memory', () => {
  it('records exec of file mappings with PROT_EXEC, and W+X mappings', () => {
    expect(
      run([
        '1 mmap(0x7f00, 1400832, PROT_READ|PROT_EXEC, MAP_PRIVATE|MAP_FIXED|MAP_DENYWRITE, 3</usr/lib/x86_64-linux-gnu/libc.so.6>, 0x26000) = 0x7f00',
        '1 mmap(NULL, 8192, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7f10',
        '1 mmap(NULL, 4096, PROT_READ|PROT_WRITE|PROT_EXEC, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7f20',
      ]),
    ).toEqual(['exec /usr/lib/x86_64-linux-gnu/libc.so.6', 'mmapWX']);
  });

  it('records mprotect adding PROT_EXEC (MemoryDenyWriteExecute refuses it even without PROT_WRITE)', () => {
    expect(run(['1 mprotect(0x7f00, 4096, PROT_READ) = 0'])).toEqual([]);
    expect(run(['1 mprotect(0x7f00, 4096, PROT_READ|PROT_EXEC) = 0'])).toEqual(['mmapWX']);
    expect(run(['1 pkey_mprotect(0x7f00, 4096, PROT_EXEC, 1) = 0'])).toEqual(['mmapWX']);
  });

  it('records memory locking and huge pages', () => {
    expect(
      run([
        '1 mlockall(MCL_CURRENT|MCL_FUTURE) = 0',
        '1 mmap(NULL, 2097152, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS|MAP_HUGETLB, -1, 0) = 0x7f00',
        '1 memfd_create("x", MFD_CLOEXEC|MFD_HUGETLB) = 3',
      ]),
    ).toEqual(['memlock', 'memlock hugepages']);
  });
});

describe('scheduling, clocks and alarms', () => {
  it('records realtime policies only', () => {
    expect(
      run([
        '1 sched_setscheduler(0, SCHED_OTHER, [0]) = 0',
        '1 sched_setscheduler(0, SCHED_FIFO|SCHED_RESET_ON_FORK, [10]) = 0',
        '1 sched_setattr(0, {size=56, sched_policy=SCHED_DEADLINE, sched_flags=0, sched_nice=0, sched_priority=0, sched_runtime=1000, sched_deadline=2000, sched_period=2000}, 0) = 0',
      ]),
    ).toEqual(['realtime SCHED_FIFO', 'realtime SCHED_DEADLINE']);
  });

  it('records clock setting, including read-only adjtimex (ProtectClock filters @clock whole)', () => {
    expect(run(['1 clock_settime(CLOCK_REALTIME, {tv_sec=1, tv_nsec=0}) = 0'])).toEqual(['setClock']);
    expect(
      run([
        '1 adjtimex({modes=0, offset=0, freq=0, maxerror=0, esterror=0, status=STA_UNSYNC, constant=2, precision=1, tolerance=32768000, time={tv_sec=1, tv_usec=1}, tick=10000, ppsfreq=0, jitter=0, shift=0, stabil=0, jitcnt=0, calcnt=0, errcnt=0, stbcnt=0, tai=0}) = 5 (TIME_ERROR)',
      ]),
    ).toEqual(['setClock']);
  });

  it('records wake-up alarm clocks for timer_create and timerfd_create', () => {
    expect(
      run([
        '1 timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC) = 3',
        '1 timerfd_create(CLOCK_BOOTTIME_ALARM, TFD_CLOEXEC) = 4',
        '1 timer_create(CLOCK_REALTIME_ALARM, NULL, [0]) = 0',
      ]),
    ).toEqual(['wakeAlarm']);
  });
});

describe('kernel and system', () => {
  it('records modules, kernel log, hostname, reboot, kexec, swap', () => {
    expect(
      run([
        '1 finit_module(3</lib/modules/x.ko>, "", 0) = 0',
        '1 delete_module("x", O_NONBLOCK) = 0',
        '1 syslog(SYSLOG_ACTION_READ_ALL, "", 4096) = 0',
        '1 sethostname("box", 3) = 0',
        '1 reboot(LINUX_REBOOT_MAGIC1, LINUX_REBOOT_MAGIC2, LINUX_REBOOT_CMD_POWER_OFF) = 0',
        '1 kexec_file_load(3, 4, 1, "", KEXEC_FILE_NO_INITRAMFS) = 0',
        '1 swapon("/swapfile", 0) = 0',
      ]),
    ).toEqual([
      'kernelModule load',
      'kernelModule unload',
      'kernelLog',
      'setHostname',
      'reboot reboot',
      'reboot kexec',
      'swap',
    ]);
  });

  it('records personality changes but not queries or PER_LINUX', () => {
    expect(
      run([
        '1 personality(0xffffffff) = 0 (PER_LINUX)',
        '1 personality(PER_LINUX) = 0',
        '1 personality(PER_LINUX32) = 0',
      ]),
    ).toEqual(['personality PER_LINUX32']);
  });

  it('records SysV IPC, POSIX message queues, SHM_EXEC and SHM_LOCK', () => {
    expect(
      run([
        '1 shmget(IPC_PRIVATE, 4096, IPC_CREAT|0600) = 1',
        '1 shmat(1, NULL, SHM_EXEC) = 0x7f00',
        '1 shmctl(1, SHM_LOCK, NULL) = 0',
        '1 semget(IPC_PRIVATE, 1, IPC_CREAT|0600) = 2',
        '1 msgget(IPC_PRIVATE, IPC_CREAT|0600) = 3',
        '1 mq_open("q", O_RDWR|O_CREAT, 0600, NULL) = 4',
      ]),
    ).toEqual(['ipc sysv-shm', 'mmapWX', 'memlock', 'ipc sysv-sem', 'ipc sysv-msg', 'ipc posix-mq']);
  });

  it('records keyring operations', () => {
    expect(
      run([
        '1 keyctl(KEYCTL_JOIN_SESSION_KEYRING, NULL) = 123',
        '1 add_key("user", "k", "v", 1, KEY_SPEC_SESSION_KEYRING) = 124',
      ]),
    ).toEqual(['keyring KEYCTL_JOIN_SESSION_KEYRING', 'keyring add_key']);
  });

  it('records mounts with their target, MS_SHARED propagation, umount, pivot_root', () => {
    expect(
      run([
        '1 mount("none", "/", NULL, MS_REC|MS_SHARED, NULL) = 0',
        '1 mount("/src", "/mnt/x", NULL, MS_BIND, NULL) = 0',
        '1 umount2("/mnt/x", MNT_DETACH) = 0',
        '1 pivot_root(".", ".") = 0',
      ]),
    ).toEqual(['mount mount / shared', 'mount mount /mnt/x', 'mount umount /mnt/x', 'mount pivot_root /']);
  });
});
