# shellcheck shell=bash disable=SC2034
# Functional check of the 'rsyslog' corpus service; lib/common.sh is prepended when it runs.
CHECK=rsyslog
u=rsyslog.service
log=/var/log/hush-corpus/rsyslog.log
token="hush-$$-$RANDOM"
# in_log TEXT: the line is in the log or in a file rotated meanwhile (the logrotate check runs beside)
in_log() { grep -sqF -- "$1" "$log" "$log".*; }
expect "$u is active" retry "$WAIT" active "$u"
logger -p local3.info -t hush-check "$token-first"
expect "a local3 message reaches $log" retry "$WAIT" in_log "$token-first"
logger -p user.notice -t hush-check "$token-syslog"
expect "a user message reaches /var/log/syslog" retry 30 grep -sqF -- "$token-syslog" /var/log/syslog /var/log/user.log
# log rotation as logrotate's postrotate does it: move the file aside, HUP, rsyslog reopens
mv -f "$log" "$log.hush-rotated" 2>/dev/null
expect "rsyslog-rotate (HUP) succeeds" /usr/lib/rsyslog/rsyslog-rotate
logger -p local3.info -t hush-check "$token-after"
expect "after the HUP rsyslog writes a new $log" retry "$WAIT" grep -qF -- "$token-after" "$log"
expect "the rotated file kept the earlier line" grep -qF -- "$token-first" "$log.hush-rotated"
rm -f "$log.hush-rotated"
expect "$u is active after the rotation" active "$u"
finish
