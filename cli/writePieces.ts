/**
 * Writes text made of many pieces (core/profile/stream.ts's profileJsonPieces) to a stream,
 * waiting for 'drain' whenever the stream's buffer is full, so that neither the whole text nor a
 * queue of its pieces is ever held at once: the output of a file-heavy summary is ~74 MB of JSON,
 * and building it as one string set hush summarize's peak memory (bench/README.md).
 */
import { once } from 'node:events';

export async function writePieces(out: NodeJS.WritableStream, pieces: Iterable<string>): Promise<void> {
  for (const piece of pieces) {
    if (!out.write(piece)) await once(out, 'drain');
  }
}
