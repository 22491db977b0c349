/**
 * A service hardened from a detached recording of its real traffic (window.record): no workload
 * to invent, and no `pulumi up` that waits for the window.
 *
 *   pulumi up        starts the recording and returns (phase: recording; no drop-in yet)
 *   pulumi preview   shows the host's progress (events, spool size, restarts, time left); plans nothing
 *   pulumi refresh   keeps that progress in the state (the `recording` output)
 *   pulumi up        after the deadline: finishes the recording (the host has already restored the
 *                    unit at the deadline on its own) and applies the drop-in resolved from it
 *   pulumi destroy   cancels a recording still running, or removes hush's drop-in
 *
 * Config (pulumi config set …): host, port (22), user (root), privateKeyPath or privateKey
 * (secret), hostKey (SHA256:… — required), unit (nginx.service), until (2d: a duration from the
 * start, or an ISO 8601 time with a zone), maxTrace (1G, the compressed spool's cap), mode,
 * healthCommand. Build first (`npm run build`), then `pulumi up` in this directory.
 */
import * as fs from 'node:fs';
import * as pulumi from '@pulumi/pulumi';
import { HardenedService } from '../../index';

const config = new pulumi.Config();
const keyPath = config.get('privateKeyPath');

const service = new HardenedService('service', {
  connection: {
    host: config.require('host'),
    port: config.getNumber('port') ?? 22,
    user: config.get('user') ?? 'root',
    privateKey: config.getSecret('privateKey') ?? (keyPath ? fs.readFileSync(keyPath, 'utf8') : undefined),
    hostKey: config.require('hostKey'),
  },
  unit: config.get('unit') ?? 'nginx.service',
  window: {
    record: {
      until: config.get('until') ?? '2d',
      ...(config.get('maxTrace') ? { maxTrace: config.require('maxTrace') } : {}),
    },
  },
  mode: (config.get('mode') as 'conservative' | 'standard' | 'aggressive' | undefined) ?? 'conservative',
  ...(config.get('healthCommand') ? { healthCommand: config.require('healthCommand') } : {}),
});

/** `recording` until the first `up` after the deadline, then `profiled`. */
export const phase = service.phase;
/** The deadline and the progress the host last reported. */
export const recording = service.recording;
export const dropInText = service.dropInText;
export const exposureBefore = service.exposureBefore;
export const exposureAfter = service.exposureAfter;
