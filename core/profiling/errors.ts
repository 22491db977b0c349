/**
 * Why a profiling session refused or failed. Every refusal before the wrapper is installed says
 * that the unit was not changed; the session's callers catch these by class.
 */
export class ProfilingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** strace is not installed on the host; nothing was changed. */
export class StraceMissingError extends ProfilingError {}

/** The unit failed under the wrapper; it was put back on its own configuration. */
export class WrappedStartError extends ProfilingError {}
