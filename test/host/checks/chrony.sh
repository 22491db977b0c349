# shellcheck shell=bash disable=SC2034
# Functional check of the 'chrony' corpus service; lib/common.sh is prepended when it runs.
CHECK=chrony
# ntp_stratum ADDRESS: one NTP client request (mode 3) over UDP 123; prints the server's stratum
ntp_stratum() {
  python3 - "$1" <<'PY' 2>/dev/null
import socket, sys
family = socket.AF_INET6 if ":" in sys.argv[1] else socket.AF_INET
with socket.socket(family, socket.SOCK_DGRAM) as s:
    s.settimeout(3)
    s.sendto(b"\x23" + 47 * b"\0", (sys.argv[1], 123))
    data, _ = s.recvfrom(512)
print(data[1])
PY
}
expect "chrony.service is active" retry "$WAIT" active chrony.service
expect "chronyc talks to chronyd (tracking)" retry "$WAIT" bash -c 'chronyc -n tracking | grep -q "^Reference ID"'
expect "chronyd serves NTP on 127.0.0.1 at its local stratum" retry 20 yields 10 ntp_stratum 127.0.0.1
expect "chronyd serves NTP on ::1" retry 10 yields 10 ntp_stratum ::1
expect "chronyc serverstats counts the requests" bash -c 'chronyc -n serverstats | grep -q "NTP packets received *: *[1-9]"'
expect "chronyc sources and activity answer" bash -c 'chronyc -n sources >/dev/null && chronyc -n activity >/dev/null'
finish
