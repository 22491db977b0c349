// Jest globalSetup of the `host` project: build the images if their recipe changed (minutes, only
// once per machine), then boot worker 1's VM of each image in parallel (~5 s each, restored from
// a saved booted state), so the first test does not pay for it. Runs in the jest parent process.
import { ENV_OWNER_PID, ENV_RUN_ID, instanceName, stopRunSync } from './index';
import { buildImages, startHost, TEST_HOST_IMAGES, type TestHostImage } from './testhost';

function imagesToBoot(): TestHostImage[] {
  const wanted = process.env.HUSH_TESTHOST_IMAGES;
  if (!wanted) return [...TEST_HOST_IMAGES];
  return wanted
    .split(',')
    .map((s) => s.trim())
    .filter((s): s is TestHostImage => (TEST_HOST_IMAGES as readonly string[]).includes(s));
}

export default async function globalSetup(): Promise<void> {
  const runId = `jest-${process.pid}`;
  process.env[ENV_RUN_ID] = runId;
  process.env[ENV_OWNER_PID] = String(process.pid);
  // stop this run's VMs however jest ends (teardown also does it; the script's watchdog covers kill -9)
  process.once('exit', () => stopRunSync(runId));
  const started = Date.now();
  // --owner-pid: a build (minutes) stops with its snapshot VM if jest is killed meanwhile
  await buildImages(TEST_HOST_IMAGES, { ownerPid: process.pid });
  const built = Date.now();
  const images = imagesToBoot();
  await Promise.all(
    images.map((image) => startHost(image, { name: instanceName(runId, image, '1'), ownerPid: process.pid })),
  );
  process.stderr.write(
    `\ntesthost: images ready in ${((built - started) / 1000).toFixed(1)} s, ` +
      `${images.join(' + ')} booted in ${((Date.now() - built) / 1000).toFixed(1)} s\n`,
  );
}
