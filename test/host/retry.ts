// Host tests run real VMs under TCG emulation on a shared 2-core machine, where a boot or an SSH
// handshake can occasionally stall past a limit for reasons that have nothing to do with hush.
// One retry, on a host reset to its booted state, with the first failure printed in full so a
// flaky test is seen and not hidden.
jest.retryTimes(1, { logErrorsBeforeRetry: true });
