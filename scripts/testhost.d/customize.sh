#!/bin/sh
# mmdebstrap customize hook for the hush test hosts: sh customize.sh ROOTDIR
# Inputs (environment, set by scripts/testhost):
#   TESTHOST_PUBKEY    client public key allowed to log in as root
#   TESTHOST_BOOTDIR   where the kernel and initrd are moved (qemu boots them directly)
#   TESTHOST_CORPUS    test/host/corpus (custom service units and their program)
#   TESTHOST_HOSTNAME  the guest's hostname
# This file's text is part of the image recipe hash: editing it rebuilds the images.
set -eu
R="$1"
: "${TESTHOST_PUBKEY:?}" "${TESTHOST_BOOTDIR:?}" "${TESTHOST_CORPUS:?}" "${TESTHOST_HOSTNAME:?}"

echo "$TESTHOST_HOSTNAME" >"$R/etc/hostname"
printf '127.0.0.1\tlocalhost\n127.0.1.1\t%s\n::1\tlocalhost ip6-localhost ip6-loopback\n' "$TESTHOST_HOSTNAME" >"$R/etc/hosts"
echo '/dev/vda / ext4 defaults,errors=remount-ro 0 1' >"$R/etc/fstab"

# qemu user-mode network (10.0.2.0/24, restrict=on): static address, no DNS, no IPv6 autoconf,
# so nothing waits for DHCP and nothing in the guest tries to reach the outside.
mkdir -p "$R/etc/systemd/network"
printf '[Match]\nName=en* eth*\n[Network]\nAddress=10.0.2.15/24\nGateway=10.0.2.2\nLinkLocalAddressing=no\nIPv6AcceptRA=no\n' \
  >"$R/etc/systemd/network/20-wired.network"
systemctl --root="$R" enable systemd-networkd.service
# No surprise jobs: timers that touch the network or the disk would perturb tests and profiles.
for u in apt-daily.timer apt-daily-upgrade.timer fstrim.timer e2scrub_all.timer e2scrub_reap.service \
         man-db.timer dpkg-db-backup.timer systemd-tmpfiles-clean.timer; do
  systemctl --root="$R" mask "$u" 2>/dev/null || true
done
# logrotate.timer is a corpus unit's trigger (the logrotate check starts it): installed, not
# enabled, so it fires only when a check asks (corpus/etc/systemd/system/logrotate.timer.d).
systemctl --root="$R" disable logrotate.timer 2>/dev/null || true

# systemd >= 256 ships systemd-ssh-generator, which probes AF_VSOCK on every daemon-reload; qemu
# here has no vsock device, and the failing probe made each reload take 21-59 s on a loaded
# machine. Masking a generator = a /dev/null symlink of its name under /etc (systemd.generator(7)).
if [ -e "$R/usr/lib/systemd/system-generators/systemd-ssh-generator" ]; then
  mkdir -p "$R/etc/systemd/system-generators"
  ln -sf /dev/null "$R/etc/systemd/system-generators/systemd-ssh-generator"
fi

# ssh: key-only root login with the per-image key pair
install -d -m 700 "$R/root/.ssh"
install -m 600 "$TESTHOST_PUBKEY" "$R/root/.ssh/authorized_keys"
mkdir -p "$R/etc/ssh/sshd_config.d"
printf 'PermitRootLogin prohibit-password\nPasswordAuthentication no\nKbdInteractiveAuthentication no\nUseDNS no\n' \
  >"$R/etc/ssh/sshd_config.d/testhost.conf"

# Corpus, stock Debian units: nginx keeps :80, caddy moves to :8080 so both run.
printf ':8080 {\n\troot * /usr/share/caddy\n\tfile_server\n}\n' >"$R/etc/caddy/Caddyfile"
# Configuration files of the corpus (test/host/corpus/etc, copied as they are): unbound's local
# zone, chrony without upstream, rsyslog's local3 file, the logrotate job and its timer drop-in.
cp -R "$TESTHOST_CORPUS/etc/." "$R/etc/"
install -d -m 755 "$R/var/log/hush-corpus"
# unbound: no trust-anchor update at start (it would try the network); the DNSSEC root key
# comes from dns-root-data, as unbound-anchor would install it; it listens on 127.0.0.1 and ::1
touch "$R/etc/default/unbound"
grep -q '^ROOT_TRUST_ANCHOR_UPDATE=' "$R/etc/default/unbound" \
  || echo 'ROOT_TRUST_ANCHOR_UPDATE=false' >>"$R/etc/default/unbound"
install -o "$(chroot "$R" id -u unbound)" -g "$(chroot "$R" id -g unbound)" -m 644 \
  "$R/usr/share/dns/root.key" "$R/var/lib/unbound/root.key"
# chrony: no pool servers (no network); corpus/etc/chrony/conf.d serves the local clock
sed -i 's/^\(pool\|server\) /#&/' "$R/etc/chrony/chrony.conf"
# memcached: both loopback addresses (IPv4 and IPv6), a dual-stack daemon
grep -qx -- '-l ::1' "$R/etc/memcached.conf" || echo '-l ::1' >>"$R/etc/memcached.conf"
# haproxy: a frontend on :8081 over nginx and caddy
cat "$TESTHOST_CORPUS/haproxy/hush-corpus.cfg" >>"$R/etc/haproxy/haproxy.cfg"
# postfix: local delivery only, on the loopback addresses (IPv4 and IPv6), nothing relayed out
[ -f "$R/etc/postfix/main.cf" ] || cp "$R/usr/share/postfix/main.cf.debian" "$R/etc/postfix/main.cf"
echo "$TESTHOST_HOSTNAME.hush.test" >"$R/etc/mailname"
[ -f "$R/etc/aliases" ] || printf 'postmaster: root\n' >"$R/etc/aliases"
chroot "$R" postconf -e \
  "myhostname = $TESTHOST_HOSTNAME.hush.test" 'myorigin = /etc/mailname' \
  'mydestination = $myhostname, localhost.localdomain, localhost' \
  'inet_interfaces = loopback-only' 'inet_protocols = all' 'mynetworks = 127.0.0.0/8 [::1]/128' \
  'relayhost =' 'default_transport = error:the test host has no outside network' \
  'alias_maps = hash:/etc/aliases' 'alias_database = hash:/etc/aliases'
chroot "$R" postalias /etc/aliases
# At boot: what every test uses. The corpus's other services start with hush-corpus.target
# (corpus/etc/systemd/system): their packages' postinsts enabled them, so they are disabled here.
systemctl --root="$R" enable ssh.service nginx.service caddy.service redis-server.service postgresql.service
for u in unbound.service unbound-resolvconf.service chrony.service mosquitto.service memcached.service \
         haproxy.service postfix.service rsyslog.service; do
  systemctl --root="$R" disable "$u" 2>/dev/null || true
done
# disable also removed rsyslog's Alias=syslog.service, the name journald's syslog.socket
# activates: put the alias back, so rsyslog started by the target gets the socket as usual
for d in usr/lib lib; do
  if [ -f "$R/$d/systemd/system/rsyslog.service" ]; then
    ln -sf "/$d/systemd/system/rsyslog.service" "$R/etc/systemd/system/syslog.service"; break
  fi
done

# Corpus, custom units (test/host/corpus/hush-testsvc, hush-wsgi): system users, programs, units.
for f in "$TESTHOST_CORPUS"/*/sysusers.conf; do
  name=$(basename "$(dirname "$f")")
  install -D -m 644 "$f" "$R/usr/lib/sysusers.d/$name.conf"
  systemd-sysusers --root="$R" "$R/usr/lib/sysusers.d/$name.conf"
done
install -d -m 755 "$R/usr/local/lib/hush-testsvc" "$R/usr/local/lib/hush-wsgi"
for f in "$TESTHOST_CORPUS"/hush-testsvc/bin/*; do
  install -m 755 "$f" "$R/usr/local/lib/hush-testsvc/"
done
install -m 644 "$TESTHOST_CORPUS/hush-wsgi/app.py" "$R/usr/local/lib/hush-wsgi/"
for u in "$TESTHOST_CORPUS"/hush-testsvc/*.service "$TESTHOST_CORPUS"/hush-testsvc/*.socket \
         "$TESTHOST_CORPUS"/hush-wsgi/*.service; do
  install -m 644 "$u" "$R/etc/systemd/system/"
done
# at boot only the trio the other tests use; the rest starts with hush-corpus.target
systemctl --root="$R" enable hush-testsvc-notify.service hush-testsvc-forking.service hush-testsvc-restart.service

# kernel + initrd are booted directly by qemu; keep them outside the image
mkdir -p "$TESTHOST_BOOTDIR"
mv "$R"/boot/vmlinuz-* "$TESTHOST_BOOTDIR/vmlinuz"
mv "$R"/boot/initrd.img-* "$TESTHOST_BOOTDIR/initrd.img"
rm -f "$R"/vmlinuz* "$R"/initrd.img*
# the host key the harness pins
cp "$R/etc/ssh/ssh_host_ed25519_key.pub" "$TESTHOST_BOOTDIR/host_ed25519.pub"
# Do NOT clean "$R"/tmp or the apt lists here: mmdebstrap keeps its APT_CONFIG in "$R"/tmp and
# cleans lists/caches itself afterwards; without that file its final `apt-get update` would run
# against the HOST's apt configuration and empty the host's /var/lib/apt/lists.
