/** The in-kernel recorder's controller side: its decoding plan, record format and stream parser. */
export { SIGNATURES, sigLines, SYSCALL_NUMBERS, syscallNameOf } from './signatures';
export { parseRecord, HEAD, RECORD_VERSION } from './record';
export { eventOf } from './events';
export { ebpfSegment } from './segment';
