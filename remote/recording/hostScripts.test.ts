import { execFileSync } from 'node:child_process';
import { sessionPaths } from '../profile/layout';
import { shQuote } from '../shell';
import {
  endCommand,
  endScript,
  monitorScript,
  startRecordingCommand,
  statusCommand,
  writerScript,
} from './hostScripts';
import { recordingPathsOf } from './spoolSink';

const sp = sessionPaths('a\\x20b.service');
const rec = recordingPathsOf(sp);
const setup = {
  session: 's1',
  startedAt: '2026-12-07T18:00:00.000Z',
  deadline: new Date('2026-12-08T18:00:00Z'),
  capBytes: 64 * 1024 * 1024,
  wasActive: true,
  slots: ['ExecStart-0', 'ExecReload-0'],
};

test('every host script and command is valid sh', () => {
  for (const text of [
    writerScript(rec, sp, setup),
    monitorScript(rec, sp, setup),
    endScript(rec, sp, setup.deadline),
    startRecordingCommand(rec, sp, setup).text,
    endCommand(rec, 'finish').text,
    endCommand(rec, 'cancel').text,
    statusCommand(rec, sp, '@@m@@').text,
  ])
    execFileSync('sh', ['-n', '-c', text]);
});

test('the recording shares the session slug, lives under /var/lib/hush and its deadline survives reboots', () => {
  expect(rec.dir).toBe(`/var/lib/hush/recording/${sp.slug}`);
  const start = startRecordingCommand(rec, sp, setup).text;
  expect(start).toContain('systemctl enable --now');
  expect(start).toContain('exit 17'); // refuses over an existing recording
  // the session is marked detached: the leftover check refuses to clear it
  expect(start).toContain(`${sp.root}/detached`);
  // the end script restores only the session it recorded, and cancel alone removes the spool
  const end = endScript(rec, sp, setup.deadline);
  expect(end).toContain(`= "$session" ]; then /bin/sh ${shQuote(sp.restoreScript)}; fi`);
  expect(end).toContain('if [ "$reason" = cancel ]; then rm -rf -- "$dir"; fi');
});
