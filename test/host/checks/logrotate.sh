# shellcheck shell=bash disable=SC2034
# Functional check of the 'logrotate' corpus service (a timer-driven oneshot): logrotate.timer
# fires logrotate.service, which rotates the corpus job log; lib/common.sh is prepended.
CHECK=logrotate
u=logrotate.service
job=/var/log/hush-corpus/job.log
status=/var/lib/logrotate/status
token="hush-$$-$RANDOM"
echo "$token" >>"$job"
# make the job log due: logrotate rotates a daily log whose last rotation is older than a day
# (a state file logrotate has not written yet needs its header line; not world-readable, or
# logrotate does not lock it)
[ -s "$status" ] || echo 'logrotate state -- version 2' >"$status"
chmod 0640 "$status"
sed -i '\|^"/var/log/hush-corpus/job.log" |d' "$status"
echo '"/var/log/hush-corpus/job.log" 2000-1-1-0:0:0' >>"$status"
before=$(systemctl show -p InvocationID --value "$u")
ran() { i=$(systemctl show -p InvocationID --value "$u"); [ -n "$i" ] && [ "$i" != "$before" ] && [ "$(systemctl show -p ActiveState --value "$u")" != activating ]; }
expect "logrotate.timer starts" systemctl restart logrotate.timer
expect "the timer fired logrotate.service" retry "$WAIT" ran
expect "logrotate.service succeeded" equals "$(systemctl show -p Result --value "$u")" success
expect "the job log was rotated" bash -c "zcat -f $job.1 $job.1.gz 2>/dev/null | grep -qF -- $token"
expect "a new job log was created (root:adm 0640)" equals "$(stat -c '%U:%G %a' "$job" 2>/dev/null)" "root:adm 640"
finish
