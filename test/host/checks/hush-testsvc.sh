# shellcheck shell=bash disable=SC2034
# Functional check of the 'hush-testsvc' corpus service; lib/common.sh is prepended when it runs.
CHECK=hush-testsvc
# health PORT KEY: one "key=value" field of GET /health
health() { curl -fsS --max-time 5 "http://127.0.0.1:$1/health" 2>/dev/null | sed -n "s/^$2=//p"; }
svc_uid=$(id -u hush-testsvc)

# Type=notify, User=, ExecStartPre=- and =+, ExecStartPost, watchdog
u=hush-testsvc-notify.service
if want "$u"; then
expect "$u is active" retry "$WAIT" active "$u"
expect "$u is Type=notify" equals "$(systemctl show -p Type --value "$u")" notify
expect "$u answers /health" retry "$WAIT" yields ok health 9101 status
expect "$u runs as hush-testsvc" equals "$(health 9101 user)" hush-testsvc
expect "$u: the '+' ExecStartPre ran as root" equals "$(health 9101 pre-plus)" uid=0
expect "$u: ExecStartPost ran as the service user" equals "$(health 9101 post)" "uid=$svc_uid"
expect "$u: sd_notify STATUS= reached systemd" bash -c "systemctl show -p StatusText --value $u | grep -q serving"
expect "$u: MainPID is the serving process" equals "$(systemctl show -p MainPID --value "$u")" "$(health 9101 pid)"

fi

# Type=forking, PIDFile=, ExecStart=@ (argv0), ExecStartPost=! (root despite User=)
u=hush-testsvc-forking.service
if want "$u"; then
expect "$u is active" retry "$WAIT" active "$u"
expect "$u answers /health" retry "$WAIT" yields ok health 9102 status
expect "$u runs as hush-testsvc" equals "$(health 9102 user)" hush-testsvc
expect "$u: '@' set argv[0]" equals "$(health 9102 argv0)" hush-testsvc-forking
expect "$u: MainPID comes from the PIDFile" equals "$(systemctl show -p MainPID --value "$u")" "$(cat /run/hush-testsvc-forking/testsvc.pid 2>/dev/null)"
expect "$u: MainPID is the serving daemon" equals "$(systemctl show -p MainPID --value "$u")" "$(health 9102 pid)"
expect "$u: the '!' ExecStartPost ran as root" equals "$(health 9102 post-bang)" uid=0

fi

# Type=simple that exits (status 3) and is restarted by Restart=on-failure
u=hush-testsvc-restart.service
if want "$u"; then
expect "$u is active" retry "$WAIT" active "$u"
expect "$u answers /health" retry "$WAIT" yields ok health 9103 status
expect "$u runs as hush-testsvc" equals "$(health 9103 user)" hush-testsvc
before_pid=$(health 9103 pid)
before_restarts=$(systemctl show -p NRestarts --value "$u")
curl -fsS --max-time 5 -o /dev/null http://127.0.0.1:9103/exit 2>/dev/null || true
restarted() { p=$(health 9103 pid); [ -n "$p" ] && [ "$p" != "$before_pid" ]; }
expect "$u came back with a new process after exiting" retry "$WAIT" restarted
expect "$u: systemd counted the restart" test "$(systemctl show -p NRestarts --value "$u")" -gt "${before_restarts:-0}"
expect "$u counts its starts in its StateDirectory" test "$(health 9103 starts)" -ge 2
fi
finish
