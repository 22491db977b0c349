/**
 * A log file's bytes for the streaming parser, read into one reused buffer.
 *
 * Why not `fs.createReadStream`: it allocates a fresh 64 KiB Buffer for every read and runs each
 * through the stream machinery; on the 370 MB service log that was a quarter of the CPU `hush summarize`
 * spent outside parsing (page faults on the new memory, then its collection). The parser copies
 * what it keeps out of a chunk (latin1 strings) before it asks for the next one, so one buffer
 * does. The price is the contract below: a consumer that keeps chunks must copy them.
 */
import { open } from 'node:fs/promises';

/** Bytes per read: fewer thread-pool round trips than 64 KiB. */
export const FILE_CHUNK = 256 * 1024;
/**
 * Bytes per chunk handed on. The parser makes one batch of events per chunk, alive until the
 * consumer is done with it: with the CLI's 2 MiB semi-spaces (bench/parser.ts LOW_MEMORY_FLAGS) a
 * 256 KiB batch outlived the young generation and halved the files log's rate (176k vs 374k lines/s).
 */
const HANDED_ON = 64 * 1024;

/**
 * The file's contents in order. Each chunk is a view of the same buffer: it is valid only until
 * the next chunk is requested (copy it to keep it).
 */
export async function* fileChunks(path: string, size = FILE_CHUNK): AsyncGenerator<Buffer, void, undefined> {
  const file = await open(path, 'r');
  try {
    const buf = Buffer.allocUnsafe(size);
    for (;;) {
      const { bytesRead } = await file.read(buf, 0, size, null);
      if (bytesRead === 0) return;
      for (let at = 0; at < bytesRead; at += HANDED_ON)
        yield buf.subarray(at, Math.min(bytesRead, at + HANDED_ON));
    }
  } finally {
    await file.close();
  }
}
