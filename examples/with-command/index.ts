/**
 * Provision, then harden: @pulumi/command's remote.Command installs and starts a small service
 * (a unit file written on the host), and HardenedService hardens it once it exists. Needs the
 * `pulumi-resource-command` plugin on the engine's PATH. `scripts/install-pulumi --with-command`
 * tries to build it from its Go module; on the project's machines the Go proxy refuses
 * github.com/pulumi/pulumi-command/provider (403 at every version), so this example runs only
 * where the plugin can be installed (e.g. `pulumi plugin install resource command v1.2.1`). Same config as examples/one-host, except that `hostKey` must be the host's public key
 * line (`ssh-ed25519 AAAA…`, e.g. from ssh-keyscan), the form both tools can pin.
 */
import * as fs from 'node:fs';
import * as pulumi from '@pulumi/pulumi';
import * as command from '@pulumi/command';
import { HardenedService } from '../../index';

const config = new pulumi.Config();
const connection = {
  host: config.require('host'),
  port: config.getNumber('port') ?? 22,
  user: config.get('user') ?? 'root',
  privateKey: fs.readFileSync(config.require('privateKeyPath'), 'utf8'),
  hostKey: config.require('hostKey'),
};

// A tiny HTTP service from Debian's python3; the unit is what a provisioning step would write.
const unitText = `[Unit]
Description=hush example web service
[Service]
ExecStart=/usr/bin/python3 -m http.server 8099 --bind 127.0.0.1 --directory /usr/share/doc
DynamicUser=no
[Install]
WantedBy=multi-user.target
`;

const install = new command.remote.Command('install-web', {
  // @pulumi/command pins the key in authorized_keys form, which hush accepts too.
  connection,
  create: pulumi.interpolate`cat > /etc/systemd/system/hush-example-web.service <<'UNIT'
${unitText}UNIT
systemctl daemon-reload && systemctl enable --now hush-example-web.service`,
  delete:
    'systemctl disable --now hush-example-web.service; rm -f /etc/systemd/system/hush-example-web.service; systemctl daemon-reload',
});

const web = new HardenedService(
  'web',
  {
    connection,
    unit: 'hush-example-web.service',
    window: {
      durationSeconds: 5,
      workload: 'for i in $(seq 10); do curl -fsS -o /dev/null http://127.0.0.1:8099/; done',
    },
    healthCommand: 'curl -fsS -o /dev/null http://127.0.0.1:8099/',
  },
  { dependsOn: [install] },
);

export const exposureBefore = web.exposureBefore;
export const exposureAfter = web.exposureAfter;
