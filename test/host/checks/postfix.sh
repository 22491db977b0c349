# shellcheck shell=bash disable=SC2034
# Functional check of the 'postfix' corpus service; lib/common.sh is prepended when it runs.
CHECK=postfix
# Debian 12 runs the master in the instance unit postfix@-.service, Debian 13 in postfix.service
# (there postfix.service only runs /bin/true for its instances)
u=postfix.service
systemctl show -p ExecStart --value postfix.service | grep -q 'path=/bin/true' && u=postfix@-.service
token="hush-$$-$RANDOM"
mbox=/var/mail/hush-mail
# smtp HOST TOKEN: one SMTP session (EHLO, MAIL, RCPT, DATA) to HOST:25, prints the server's replies
smtp() {
  printf 'EHLO check.hush.test\r\nMAIL FROM:<check@hush.test>\r\nRCPT TO:<hush-mail@localhost>\r\nDATA\r\nSubject: %s\r\n\r\n%s over %s\r\n.\r\nQUIT\r\n' "$2" "$2" "$1" \
    | timeout 20 socat -t 5 - "TCP:$1:25,crlf" 2>/dev/null
}
delivered() { grep -qF -- "$1" "$mbox" 2>/dev/null; }
expect "$u is active" retry "$WAIT" active "$u"
expect "SMTP on 127.0.0.1:25 accepts a message" retry "$WAIT" bash -c "$(declare -f smtp); smtp 127.0.0.1 $token-v4 | grep -q '^250 .*queued'"
expect "SMTP on [::1]:25 accepts a message" retry 10 bash -c "$(declare -f smtp); smtp '[::1]' $token-v6 | grep -q '^250 .*queued'"
expect "sendmail(1) (postdrop + pickup) accepts a message" bash -c "printf 'Subject: $token-sendmail\n\n$token-sendmail\n' | /usr/sbin/sendmail hush-mail"
expect "the SMTP message is delivered to $mbox" retry 90 delivered "$token-v4 over"
expect "the IPv6 message is delivered" retry 30 delivered "$token-v6 over"
expect "the sendmail message is delivered" retry 90 delivered "$token-sendmail"
expect "systemctl reload (postfix reload) succeeds" timeout 120 systemctl reload "$u"
expect "SMTP answers after the reload" retry "$WAIT" bash -c "$(declare -f smtp); smtp 127.0.0.1 $token-reload | grep -q '^250 .*queued'"
expect "the queue drains" retry 90 bash -c '[ -z "$(postqueue -j 2>/dev/null)" ]'
finish
